// JwtKeyRing: the rotation timeline on a fake clock, two fleet instances seeing a rotation at
// different times, RFC 7515 A.1, claims, and every way a token can be wrong.
#include "locksmith/jwt_key_ring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "keys/jwt_test_util.h"
#include "keys/key_test_util.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::MakeToken;
using ::testing::Not;
using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kOld = "old-jwt-secret-PLANTED-0123456789abcdef";
constexpr std::string_view kNew = "new-jwt-secret-PLANTED-0123456789abcdef";
constexpr std::string_view kName = "jwt-secret";

std::string SignaturePart(const std::string& token) { return token.substr(token.rfind('.') + 1); }

class JwtTestBase : public ::testing::Test {
 protected:
  void TearDown() override {
    const std::string logs = logs_.Text();
    EXPECT_THAT(logs, Not(HasSubstr("PLANTED")));
    for (const std::string& signature : signatures_) {
      EXPECT_THAT(logs, Not(HasSubstr(signature)));
    }
  }

  // Checks an error names the failed check and quotes nothing of the token.
  void ExpectRejected(const Result<VerifiedJwt>& r, std::string_view check,
                      const std::string& token) {
    EXPECT_THAT(r, HasErrorMessage(ErrorCode::kUnauthenticated, check));
    if (!r.ok() && !token.empty()) {
      for (std::string_view part : {std::string_view(token).substr(0, token.find('.')),
                                    std::string_view(token).substr(token.rfind('.') + 1)}) {
        if (part.size() >= 4) {
          EXPECT_THAT(r.error().message, Not(HasSubstr(part)));
        }
      }
    }
  }

  JwtKeyRingPtr Fixed(std::string_view key, std::string kid = "v1", JwtOptions options = {}) {
    auto ring = JwtKeyRing::FromKeys({std::move(kid), SecretValue(key), clock_.WallNow()},
                                     std::nullopt, std::move(options), clock_);
    EXPECT_THAT(ring, IsOk());
    return ring.ok() ? std::move(ring).value() : nullptr;
  }

  std::string Now() const {
    return std::to_string(
        std::chrono::duration_cast<seconds>(clock_.WallNow().time_since_epoch()).count());
  }
  std::int64_t NowSeconds() const {
    return std::chrono::duration_cast<seconds>(clock_.WallNow().time_since_epoch()).count();
  }

  testing::LogCapture logs_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  std::vector<std::string> signatures_;
};

// --- The rotation timeline, through a SecretsManager subscription -------------------------------

class JwtTimelineTest : public JwtTestBase {
 protected:
  void SetUp() override {
    ASSERT_THAT(store_.Put(kName, SecretValue(kOld), Stage::kCurrent), IsOk());
    clock_.Advance(hours(24 * 90));  // the old key is long established
    manager_ = testing::MakeManager(store_, clock_, random_);
    ASSERT_NE(manager_, nullptr);
    auto ring = JwtKeyRing::Create(*manager_, std::string(kName), {}, clock_);
    ASSERT_THAT(ring, IsOk());
    ring_ = std::move(ring).value();
  }
  void Rotate() {
    ASSERT_THAT(store_.Put(kName, SecretValue(kNew), Stage::kCurrent), IsOk());
    ASSERT_THAT(manager_->Refresh(kName), IsOk());
  }
  std::string SignNow(const JwtKeyRing& ring, seconds ttl = minutes(15)) {
    auto token = ring.Sign(R"({"sub":"user-1"})", ttl);
    EXPECT_THAT(token, IsOk());
    if (token.ok()) {
      signatures_.push_back(SignaturePart(*token));
    }
    return token.ok() ? *token : "";
  }
  std::string KidOf(const std::string& token) {
    auto header = internal::Base64UrlDecode(token.substr(0, token.find('.')));
    return json::parse(header->begin(), header->end())["kid"];
  }

  testing::InMemoryProvider store_{clock_};
  std::unique_ptr<SecretsManager> manager_;
  JwtKeyRingPtr ring_;
};

TEST_F(JwtTimelineTest, BeforeRotationOneKeySignsAndVerifies) {
  EXPECT_EQ(ring_->SigningKid(), "v1");
  EXPECT_THAT(ring_->VerifyingKids(), ElementsAre("v1"));
  const std::string token = SignNow(*ring_);
  EXPECT_EQ(KidOf(token), "v1");
  auto verified = ring_->Verify(token);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->kid, "v1");
  EXPECT_EQ(json::parse(verified->claims_json)["sub"], "user-1");
}

TEST_F(JwtTimelineTest, WholeTimeline) {
  const std::string old_token = SignNow(*ring_, hours(4));
  const std::string old_token_no_kid = MakeToken(
      R"({"alg":"HS256"})", R"({"exp":)" + std::to_string(NowSeconds() + 4 * 3600) + "}", kOld);
  Rotate();
  // Verify-only window: the new key verifies, the old one still signs.
  EXPECT_EQ(ring_->SigningKid(), "v1");
  EXPECT_THAT(ring_->VerifyingKids(), ElementsAre("v2", "v1"));
  auto new_only =
      JwtKeyRing::FromKeys({"v2", SecretValue(kNew), clock_.WallNow()}, std::nullopt, {}, clock_);
  ASSERT_THAT(new_only, IsOk());
  const std::string early_new_token = SignNow(**new_only, hours(4));  // an instance ahead of us
  EXPECT_THAT(ring_->Verify(early_new_token), IsOk());
  EXPECT_THAT(ring_->Verify(old_token), IsOk());
  EXPECT_EQ(KidOf(SignNow(*ring_)), "v1");

  clock_.Advance(minutes(59) + seconds(59));
  EXPECT_EQ(KidOf(SignNow(*ring_)), "v1");

  clock_.Advance(seconds(1));  // sign_after: the new key signs
  EXPECT_EQ(ring_->SigningKid(), "v2");
  const std::string new_token = SignNow(*ring_);
  EXPECT_EQ(KidOf(new_token), "v2");
  EXPECT_THAT(ring_->Verify(new_token), IsOk());
  EXPECT_THAT(ring_->Verify(old_token), IsOk());
  auto no_kid = ring_->Verify(old_token_no_kid);  // tried against current, then previous
  ASSERT_THAT(no_kid, IsOk());
  EXPECT_EQ(no_kid->kid, "v1");

  clock_.Advance(minutes(59) + seconds(59));
  EXPECT_THAT(ring_->Verify(old_token), IsOk());

  clock_.Advance(seconds(1));  // retire_after: the old key is gone
  EXPECT_THAT(ring_->VerifyingKids(), ElementsAre("v2"));
  ExpectRejected(ring_->Verify(old_token), "unknown key", old_token);
  ExpectRejected(ring_->Verify(old_token_no_kid), "bad signature", old_token_no_kid);
  EXPECT_THAT(ring_->Verify(early_new_token), IsOk());
  EXPECT_THAT(ring_->Verify(SignNow(*ring_)), IsOk());
}

TEST_F(JwtTimelineTest, RestartDuringTheWindowKeepsTheSameTimeline) {
  Rotate();
  clock_.Advance(minutes(90));
  // A fresh instance (a restart) decides from the version's creation time, not from when it
  // started: the new key signs and the old one still verifies for 30 more minutes.
  auto ring = JwtKeyRing::Create(*manager_, std::string(kName), {}, clock_);
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ((*ring)->SigningKid(), "v2");
  EXPECT_THAT((*ring)->VerifyingKids(), ElementsAre("v2", "v1"));
  clock_.Advance(minutes(30));
  EXPECT_THAT((*ring)->VerifyingKids(), ElementsAre("v2"));
}

TEST_F(JwtTimelineTest, TwoInstancesSeeingTheRotationTenMinutesApartAcceptEachOther) {
  auto manager_b = testing::MakeManager(store_, clock_, random_);
  auto ring_b = JwtKeyRing::Create(*manager_b, std::string(kName), {}, clock_);
  ASSERT_THAT(ring_b, IsOk());
  JwtKeyRing& a = *ring_;
  JwtKeyRing& b = **ring_b;
  struct Issued {
    std::string token;
    std::chrono::system_clock::time_point exp;
  };
  std::vector<Issued> issued;
  int checks = 0;
  clock_.Advance(-minutes(30));
  for (int minute = -30; minute <= 180; ++minute) {
    if (minute == 0) {
      ASSERT_THAT(store_.Put(kName, SecretValue(kNew), Stage::kCurrent), IsOk());
      ASSERT_THAT(manager_->Refresh(kName), IsOk());  // A notices at once
    }
    if (minute == 10) {
      ASSERT_THAT(manager_b->Refresh(kName), IsOk());  // B ten minutes later
    }
    for (JwtKeyRing* signer : {&a, &b}) {
      issued.push_back({SignNow(*signer), clock_.WallNow() + minutes(15)});
    }
    for (const Issued& token : issued) {
      if (clock_.WallNow() >= token.exp) {
        continue;
      }
      for (JwtKeyRing* verifier : {&a, &b}) {
        SCOPED_TRACE(::testing::Message() << "minute " << minute);
        EXPECT_THAT(verifier->Verify(token.token), IsOk());
        ++checks;
      }
    }
    clock_.Advance(minutes(1));
  }
  EXPECT_GT(checks, 4 * 200 * 15);
  EXPECT_EQ(a.SigningKid(), "v2");
  EXPECT_EQ(b.SigningKid(), "v2");
}

TEST_F(JwtTimelineTest, ShortKeyIsAConfigurationError) {
  ASSERT_THAT(store_.Put(kName, SecretValue("short-PLANTED"), Stage::kCurrent), IsOk());
  ASSERT_THAT(manager_->Refresh(kName), IsOk());
  EXPECT_EQ(ring_->SigningKid(), "v1");  // the bad version was not taken
  EXPECT_THAT(logs_.Text(), HasSubstr("keeping the previous keys"));
  auto ring = JwtKeyRing::Create(*manager_, std::string(kName), {}, clock_);
  EXPECT_THAT(ring, HasErrorMessage(ErrorCode::kInvalidArgument, "at least 32 bytes"));
  EXPECT_THAT(ring_->Reload(), HasError(ErrorCode::kInvalidArgument));
}

TEST_F(JwtTimelineTest, MissingSecretFailsCreate) {
  EXPECT_THAT(JwtKeyRing::Create(*manager_, "no-such-secret", {}, clock_),
              HasError(ErrorCode::kNotFound));
}

// --- RFC 7515 Appendix A.1 -------------------------------------------------------------------

constexpr std::string_view kRfcKey =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr std::string_view kRfcToken =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::int64_t kRfcExp = 1300819380;

class Rfc7515Test : public JwtTestBase {
 protected:
  JwtKeyRingPtr Ring(JwtOptions options) {
    auto key = internal::Base64UrlDecode(kRfcKey);
    EXPECT_THAT(key, IsOk());
    auto ring = JwtKeyRing::FromKeys({"rfc", SecretValue(std::span<const std::uint8_t>(*key)), {}},
                                     std::nullopt, std::move(options), clock_);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }
  void At(std::int64_t t) { clock_.SetWallNow(std::chrono::system_clock::time_point(seconds(t))); }
};

TEST_F(Rfc7515Test, AppendixA1VerifiesBeforeExp) {
  JwtOptions options;
  options.issuer = "joe";
  auto ring = Ring(options);
  At(kRfcExp - 1);
  auto verified = ring->Verify(kRfcToken);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->kid, "rfc");  // no kid in the token: tried against the current key
  json claims = json::parse(verified->claims_json);
  EXPECT_EQ(claims["iss"], "joe");
  EXPECT_EQ(claims["http://example.com/is_root"], true);
}

TEST_F(Rfc7515Test, AppendixA1RejectedAtAndAfterExp) {
  JwtOptions strict;
  strict.leeway = seconds(0);
  auto ring = Ring(strict);
  At(kRfcExp);  // rejected *at* exp with no leeway
  ExpectRejected(ring->Verify(kRfcToken), "expired", std::string(kRfcToken));
  At(kRfcExp + 3600);
  ExpectRejected(ring->Verify(kRfcToken), "expired", std::string(kRfcToken));

  auto lenient = Ring({});  // default leeway 60 s
  At(kRfcExp + 59);
  EXPECT_THAT(lenient->Verify(kRfcToken), IsOk());
  At(kRfcExp + 60);
  ExpectRejected(lenient->Verify(kRfcToken), "expired", std::string(kRfcToken));
}

TEST_F(Rfc7515Test, WrongIssuerOrAlgorithm) {
  At(kRfcExp - 1);
  JwtOptions other_issuer;
  other_issuer.issuer = "mallory";
  ExpectRejected(Ring(other_issuer)->Verify(kRfcToken), "wrong issuer", std::string(kRfcToken));
  JwtOptions hs512;
  hs512.algorithm = JwtAlgorithm::kHS512;
  ExpectRejected(Ring(hs512)->Verify(kRfcToken), "algorithm not allowed", std::string(kRfcToken));
}

// --- Claims, algorithms and malformed tokens ----------------------------------------------------

class JwtVerifyTest : public JwtTestBase {
 protected:
  std::string Exp(std::int64_t delta) { return std::to_string(NowSeconds() + delta); }
  std::string Token(std::string_view payload,
                    std::string_view header = R"({"alg":"HS256","kid":"v1"})") {
    return MakeToken(header, payload, kOld);
  }
};

TEST_F(JwtVerifyTest, SignSetsHeaderAndTimes) {
  auto ring = Fixed(kOld);
  auto token = ring->Sign(R"({"sub":"u","iat":1})", seconds(900));
  ASSERT_THAT(token, IsOk());
  auto verified = ring->Verify(*token);
  ASSERT_THAT(verified, IsOk());
  json header = json::parse(verified->header_json);
  EXPECT_EQ(header, json::parse(R"({"alg":"HS256","typ":"JWT","kid":"v1"})"));
  json claims = json::parse(verified->claims_json);
  EXPECT_EQ(claims["iat"], NowSeconds());
  EXPECT_EQ(claims["exp"], NowSeconds() + 900);
  EXPECT_EQ(claims["sub"], "u");
}

TEST_F(JwtVerifyTest, SignRejectsBadClaimsAndTtl) {
  auto ring = Fixed(kOld);
  EXPECT_THAT(ring->Sign("[1,2]", std::nullopt), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ring->Sign("{not json", std::nullopt), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ring->Sign("{}", seconds(0)), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ring->Sign("", seconds(60)), IsOk());
}

TEST_F(JwtVerifyTest, Hs384AndHs512RoundTripAndNeedLongKeys) {
  const std::string long_key(64, 'k');
  for (JwtAlgorithm alg : {JwtAlgorithm::kHS384, JwtAlgorithm::kHS512}) {
    JwtOptions options;
    options.algorithm = alg;
    auto ring = Fixed(long_key, "v1", options);
    auto token = ring->Sign("{}", seconds(60));
    ASSERT_THAT(token, IsOk());
    EXPECT_THAT(ring->Verify(*token), IsOk());
    EXPECT_THAT(Fixed(long_key)->Verify(*token),
                HasErrorMessage(ErrorCode::kUnauthenticated, "algorithm not allowed"));
  }
  JwtOptions hs512;
  hs512.algorithm = JwtAlgorithm::kHS512;
  EXPECT_THAT(JwtKeyRing::FromKeys({"v1", SecretValue(kOld), {}}, std::nullopt, hs512, clock_),
              HasErrorMessage(ErrorCode::kInvalidArgument, "at least 64 bytes"));
  EXPECT_EQ(ParseJwtAlgorithm("HS384"), JwtAlgorithm::kHS384);
  EXPECT_EQ(ParseJwtAlgorithm("none"), std::nullopt);
}

TEST_F(JwtVerifyTest, AlgorithmIsBoundToTheKey) {
  auto ring = Fixed(kOld);
  const std::string payload = R"({"exp":)" + Exp(600) + "}";
  const std::string none =
      testing::B64Url(R"({"alg":"none"})") + "." + testing::B64Url(payload) + ".";
  ExpectRejected(ring->Verify(none), "algorithm not allowed", none);
  for (std::string_view alg : {"HS384", "HS512", "RS256", "hs256", "NONE"}) {
    const std::string token =
        MakeToken(R"({"alg":")" + std::string(alg) + R"(","kid":"v1"})", payload, kOld);
    ExpectRejected(ring->Verify(token), "algorithm not allowed", token);
  }
  // The same key used with another algorithm (alg confusion): HS512 MAC under an HS256 ring.
  const std::string confused = MakeToken(R"({"alg":"HS256","kid":"v1"})", payload, kOld, "SHA512");
  ExpectRejected(ring->Verify(confused), "bad signature", confused);
  const std::string no_alg = MakeToken(R"({"kid":"v1"})", payload, kOld);
  ExpectRejected(ring->Verify(no_alg), "malformed (header has no alg)", no_alg);
  const std::string alg_number = MakeToken(R"({"alg":256})", payload, kOld);
  ExpectRejected(ring->Verify(alg_number), "malformed", alg_number);
}

TEST_F(JwtVerifyTest, ExpNbfIat) {
  auto ring = Fixed(kOld);
  EXPECT_THAT(ring->Verify(Token(R"({"exp":)" + Exp(1) + "}")), IsOk());
  EXPECT_THAT(ring->Verify(Token(R"({"exp":)" + Exp(-59) + "}")), IsOk());  // leeway
  ExpectRejected(ring->Verify(Token(R"({"exp":)" + Exp(-60) + "}")), "expired", "");
  ExpectRejected(ring->Verify(Token(R"({"sub":"x"})")), "missing exp", "");
  ExpectRejected(ring->Verify(Token(R"({"exp":"soon"})")), "malformed (exp is not a number)", "");
  EXPECT_THAT(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"nbf":)" + Exp(60) + "}")), IsOk());
  ExpectRejected(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"nbf":)" + Exp(61) + "}")),
                 "not yet valid", "");
  ExpectRejected(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"nbf":[]})")), "malformed", "");
  EXPECT_THAT(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"iat":)" + Exp(60) + "}")), IsOk());
  ExpectRejected(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"iat":)" + Exp(61) + "}")),
                 "issued in the future", "");
  ExpectRejected(ring->Verify(Token(R"({"exp":)" + Exp(600) + R"(,"iat":"x"})")), "malformed", "");
  JwtOptions optional_exp;
  optional_exp.require_exp = false;
  EXPECT_THAT(Fixed(kOld, "v1", optional_exp)->Verify(Token(R"({"sub":"x"})")), IsOk());
}

TEST_F(JwtVerifyTest, IssuerAudienceType) {
  JwtOptions options;
  options.issuer = "auth.example";
  options.audience = "api";
  options.type = "JWT";
  auto ring = Fixed(kOld, "v1", options);
  const std::string exp = R"("exp":)" + Exp(600);
  const std::string jwt_header = R"({"alg":"HS256","typ":"jwt"})";
  EXPECT_THAT(ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":"api"})", jwt_header)),
              IsOk());
  EXPECT_THAT(
      ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":["web","api"]})", jwt_header)),
      IsOk());
  ExpectRejected(
      ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":["web"]})", jwt_header)),
      "wrong audience", "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"iss":"auth.example"})", jwt_header)),
                 "wrong audience", "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":7})", jwt_header)),
                 "wrong audience", "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"iss":"other","aud":"api"})", jwt_header)),
                 "wrong issuer", "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"aud":"api"})", jwt_header)), "wrong issuer",
                 "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":"api"})",
                                    R"({"alg":"HS256","typ":"at+jwt"})")),
                 "wrong type", "");
  ExpectRejected(ring->Verify(Token("{" + exp + R"(,"iss":"auth.example","aud":"api"})",
                                    R"({"alg":"HS256"})")),
                 "wrong type", "");
}

TEST_F(JwtVerifyTest, KidHandling) {
  auto ring = Fixed(kOld);
  const std::string payload = R"({"exp":)" + Exp(600) + "}";
  const std::string unknown = MakeToken(R"({"alg":"HS256","kid":"v9"})", payload, kOld);
  ExpectRejected(ring->Verify(unknown), "unknown key", unknown);
  const std::string bad_kid = MakeToken(R"({"alg":"HS256","kid":1})", payload, kOld);
  ExpectRejected(ring->Verify(bad_kid), "malformed (kid is not a string)", bad_kid);
  const std::string other_key = MakeToken(R"({"alg":"HS256","kid":"v1"})", payload, kNew);
  ExpectRejected(ring->Verify(other_key), "bad signature", other_key);
  const std::string crit = MakeToken(R"({"alg":"HS256","crit":["exp"]})", payload, kOld);
  ExpectRejected(ring->Verify(crit), "unsupported critical header", crit);
}

TEST_F(JwtVerifyTest, TamperedTokensFail) {
  auto ring = Fixed(kOld);
  const std::string token = *ring->Sign(R"({"sub":"user-1","role":"reader"})", seconds(600));
  signatures_.push_back(SignaturePart(token));
  ASSERT_THAT(ring->Verify(token), IsOk());
  // Every single-character change anywhere fails.
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char c : {'A', 'B', 'x', '_', '-', '.', '='}) {
      if (token[i] == c) {
        continue;
      }
      std::string tampered = token;
      tampered[i] = c;
      auto r = ring->Verify(tampered);
      // A change in the last character may only touch its unused low bits, which the decoder
      // rejects as non-canonical; nothing may verify.
      EXPECT_THAT(r, HasError(ErrorCode::kUnauthenticated)) << "position " << i << " char " << c;
    }
  }
  // A re-signed payload with a forged role, keeping the original signature.
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.rfind('.');
  const std::string forged =
      token.substr(0, dot1) + "." +
      testing::B64Url(R"({"sub":"user-1","role":"admin","exp":)" + Exp(600) + "}") +
      token.substr(dot2);
  ExpectRejected(ring->Verify(forged), "bad signature", forged);
  // Header swapped for one without kid.
  const std::string swapped = testing::B64Url(R"({"alg":"HS256"})") + token.substr(dot1);
  ExpectRejected(ring->Verify(swapped), "bad signature", swapped);
}

TEST_F(JwtVerifyTest, TruncatedTokensFail) {
  auto ring = Fixed(kOld);
  const std::string token = *ring->Sign("{}", seconds(600));
  signatures_.push_back(SignaturePart(token));
  for (std::size_t n = 0; n < token.size(); ++n) {
    EXPECT_THAT(ring->Verify(token.substr(0, n)), HasError(ErrorCode::kUnauthenticated)) << n;
  }
}

TEST_F(JwtVerifyTest, OversizedTokensAreRejectedUnread) {
  JwtOptions options;
  options.max_token_size = 512;
  auto ring = Fixed(kOld, "v1", options);
  const std::string big = *ring->Sign(R"({"pad":")" + std::string(600, 'p') + R"("})", seconds(60));
  ExpectRejected(ring->Verify(big), "malformed (token too large)", big);
  const std::string small = *ring->Sign(R"({"pad":"p"})", seconds(60));
  EXPECT_THAT(ring->Verify(small), IsOk());
  auto default_ring = Fixed(kOld);
  ExpectRejected(default_ring->Verify(std::string(9000, 'a')), "token too large", "");
}

TEST_F(JwtVerifyTest, BadBase64AndBadJson) {
  auto ring = Fixed(kOld);
  const std::string payload = R"({"exp":)" + Exp(600) + "}";
  const std::string good = Token(payload);
  const std::size_t dot1 = good.find('.');
  const std::size_t dot2 = good.rfind('.');
  ExpectRejected(ring->Verify("*" + good.substr(1)), "malformed (header is not base64url)", "");
  ExpectRejected(ring->Verify(good.substr(0, dot1 + 1) + "*" + good.substr(dot1 + 2)),
                 "bad signature", "");  // the MAC covers the text, checked before decoding
  ExpectRejected(ring->Verify(good.substr(0, dot2 + 1) + "+/+/"),
                 "malformed (signature is not base64url)", "");
  ExpectRejected(ring->Verify(good + "=="), "malformed (signature is not base64url)", "");
  ExpectRejected(ring->Verify("a.b"), "malformed (not three parts)", "");
  ExpectRejected(ring->Verify("a.b.c.d"), "malformed (not three parts)", "");
  ExpectRejected(ring->Verify(""), "malformed", "");
  // Correctly signed, but the parts are not JSON objects.
  const std::string bad_header = MakeToken("not json", payload, kOld);
  ExpectRejected(ring->Verify(bad_header), "malformed (header is not a JSON object)", bad_header);
  const std::string array_header = MakeToken(R"(["alg","HS256"])", payload, kOld);
  ExpectRejected(ring->Verify(array_header), "malformed (header is not a JSON object)", "");
  const std::string bad_payload = MakeToken(R"({"alg":"HS256"})", "{\"exp\":", kOld);
  ExpectRejected(ring->Verify(bad_payload), "malformed (payload is not a JSON object)", "");
  // A payload that is not base64url at all, correctly MACed over its text.
  const std::string header_b64 = testing::B64Url(R"({"alg":"HS256"})");
  const std::string input = header_b64 + ".!!!";
  auto mac = internal::Hmac("SHA256", internal::AsBytes(kOld), internal::AsBytes(input));
  const std::string raw = input + "." + internal::Base64UrlEncode(*mac);
  ExpectRejected(ring->Verify(raw), "malformed (payload is not base64url)", raw);
  const std::string short_sig = good.substr(0, dot2 + 1) + "AAAA";
  ExpectRejected(ring->Verify(short_sig), "bad signature", short_sig);
}

TEST_F(JwtVerifyTest, PolicyMustRetireAfterSigning) {
  JwtOptions options;
  options.sign_after = hours(2);
  options.retire_after = hours(1);
  EXPECT_THAT(JwtKeyRing::FromKeys({"v1", SecretValue(kOld), {}}, std::nullopt, options, clock_),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Fixed(kOld)->Reload(), HasError(ErrorCode::kFailedPrecondition));
}

}  // namespace
}  // namespace locksmith
