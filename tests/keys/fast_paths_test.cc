// The fast paths of the key rings against their reference behaviour: the in-place base64url
// decoder against core's, HMAC and AES-GCM with per-thread keyed contexts (key serials) against
// fresh keying, and JWT verification's JSON scanner against nlohmann::json on texts chosen to
// hit every point where the scanner hands over to the DOM parser.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "keys/jwt_test_util.h"
#include "keys/primitives.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::MakeToken;
using ::testing::Not;

TEST(FastBase64UrlTest, MatchesCoreDecoder) {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/*. ";
  std::mt19937 rng(42);
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::size_t size = rng() % 25;
    std::string text;
    for (std::size_t j = 0; j < size; ++j) {
      // Mostly url-alphabet characters, so many strings are valid.
      text += alphabet[rng() % (rng() % 8 == 0 ? alphabet.size() : 64)];
    }
    auto expected = internal::Base64UrlDecode(text);
    std::string appended = "prefix";
    const bool ok = internal::Base64UrlDecodeAppend(text, appended);
    ASSERT_EQ(ok, expected.ok()) << text;
    std::array<std::uint8_t, 8> fixed;
    std::size_t fixed_size = 99;
    const bool fixed_ok = internal::Base64UrlDecodeTo(text, fixed.data(), fixed.size(), fixed_size);
    if (expected.ok()) {
      ++valid;
      EXPECT_EQ(appended, "prefix" + std::string(expected->begin(), expected->end())) << text;
      ASSERT_EQ(fixed_ok, expected->size() <= fixed.size()) << text;
      if (fixed_ok) {
        EXPECT_EQ(std::vector<std::uint8_t>(fixed.begin(), fixed.begin() + fixed_size), *expected);
      }
    } else {
      EXPECT_FALSE(fixed_ok) << text;
    }
    if (!fixed_ok) {
      EXPECT_EQ(fixed_size, 0u);
    }
  }
  EXPECT_GT(valid, 2000);  // the comparison covered valid input, not only rejections
}

std::vector<std::uint8_t> KeyBytes(int i, std::size_t size) {
  std::vector<std::uint8_t> key(size);
  for (std::size_t j = 0; j < size; ++j) {
    key[j] = static_cast<std::uint8_t>(i * 31 + j);
  }
  return key;
}

TEST(KeySerialTest, HmacWithSerialsMatchesFreshKeying) {
  // More keys than a thread keeps keyed contexts for, used in a changing order.
  constexpr int kKeys = 7;
  std::vector<std::vector<std::uint8_t>> keys;
  std::vector<std::uint64_t> serials;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(KeyBytes(i, 32 + static_cast<std::size_t>(i)));
    serials.push_back(internal::NewKeySerial());
  }
  EXPECT_NE(serials[0], 0u);
  EXPECT_NE(serials[0], serials[1]);
  const std::string data = "header.payload";
  for (internal::HmacHash hash :
       {internal::HmacHash::kSha256, internal::HmacHash::kSha384, internal::HmacHash::kSha512}) {
    const char* digest = hash == internal::HmacHash::kSha256   ? "SHA256"
                         : hash == internal::HmacHash::kSha384 ? "SHA384"
                                                               : "SHA512";
    const std::size_t size = internal::HmacSize(hash);
    for (int round = 0; round < 60; ++round) {
      const int i = (round * 5 + round / 7) % kKeys;
      auto expected = internal::Hmac(digest, keys[i], internal::Bytes(data));
      ASSERT_THAT(expected, IsOk());
      std::array<std::uint8_t, 64> mac{};
      ASSERT_TRUE(
          internal::HmacCompute(hash, keys[i], internal::Bytes(data), mac.data(), serials[i]));
      EXPECT_EQ(std::vector<std::uint8_t>(mac.begin(), mac.begin() + size), *expected)
          << "round " << round;
      // A wrong tag, then the right one, with the same keyed context.
      std::vector<std::uint8_t> wrong = *expected;
      wrong[round % size] ^= 1;
      EXPECT_FALSE(
          internal::HmacVerify(hash, keys[i], internal::Bytes(data), wrong, size, serials[i]));
      EXPECT_TRUE(
          internal::HmacVerify(hash, keys[i], internal::Bytes(data), *expected, size, serials[i]));
      // Another key with the same serial slot in use elsewhere: no cross-talk.
      const int other = (i + 1) % kKeys;
      EXPECT_FALSE(internal::HmacVerify(hash, keys[other], internal::Bytes(data), *expected, size,
                                        serials[other]));
    }
  }
}

TEST(KeySerialTest, AesGcmWithSerialsMatchesFreshKeying) {
  constexpr int kKeys = 6;
  std::vector<std::vector<std::uint8_t>> keys;
  std::vector<std::uint64_t> serials;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(KeyBytes(i, 32));
    serials.push_back(internal::NewKeySerial());
  }
  const std::vector<std::uint8_t> plain = KeyBytes(9, 64);
  const std::string aad = "users.encrypted_email.42";
  for (int round = 0; round < 60; ++round) {
    const int i = (round * 5 + round / 7) % kKeys;
    const std::vector<std::uint8_t> nonce = KeyBytes(round, 12);
    std::vector<std::uint8_t> fresh(plain.size() + 16);
    std::vector<std::uint8_t> cached(plain.size() + 16);
    ASSERT_TRUE(internal::Aes256GcmSeal(keys[i], nonce, plain, internal::Bytes(aad), fresh.data()));
    ASSERT_TRUE(internal::Aes256GcmSeal(keys[i], nonce, plain, internal::Bytes(aad), cached.data(),
                                        serials[i]));
    EXPECT_EQ(cached, fresh) << "round " << round;
    // A failed open (flipped tag), then a good one, with the same keyed context.
    std::vector<std::uint8_t> flipped = fresh;
    flipped.back() ^= 0x80;
    std::vector<std::uint8_t> opened(plain.size(), 0xee);
    EXPECT_FALSE(internal::Aes256GcmOpen(keys[i], nonce, flipped, internal::Bytes(aad),
                                         opened.data(), serials[i]));
    EXPECT_EQ(opened, std::vector<std::uint8_t>(plain.size(), 0));  // wiped
    ASSERT_TRUE(internal::Aes256GcmOpen(keys[i], nonce, fresh, internal::Bytes(aad), opened.data(),
                                        serials[i]));
    EXPECT_EQ(opened, plain);
    // The wrong key, though warm in another slot, does not open it.
    const int other = (i + 1) % kKeys;
    EXPECT_FALSE(internal::Aes256GcmOpen(keys[other], nonce, fresh, internal::Bytes(aad),
                                         opened.data(), serials[other]));
  }
}

// --- JWT: the JSON scanner agrees with the DOM parser ------------------------------------------

constexpr std::string_view kKey = "fast-path-key-PLANTED-0123456789abcdef";

class JwtFastJsonTest : public ::testing::Test {
 protected:
  JwtKeyRingPtr Ring(JwtOptions options = {}) {
    return JwtKeyRing::FromKeys({"v1", SecretValue(kKey), clock_.WallNow()}, std::nullopt,
                                std::move(options), clock_)
        .value();
  }
  std::string Seconds(std::int64_t delta) const {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch())
            .count() +
        delta);
  }
  // `expected` empty: the token verifies; otherwise the error names it.
  void Expect(const JwtKeyRing& ring, std::string_view header, std::string_view payload,
              std::string_view expected) {
    const std::string token = MakeToken(header, payload, kKey);
    auto verified = ring.Verify(token);
    if (expected.empty()) {
      EXPECT_THAT(verified, IsOk()) << header << " " << payload;
      if (verified.ok()) {
        EXPECT_EQ(verified->claims_json, payload);
        EXPECT_EQ(verified->header_json, header);
      }
    } else {
      EXPECT_THAT(verified, HasErrorMessage(ErrorCode::kUnauthenticated, expected))
          << header << " " << payload;
      if (!verified.ok()) {
        EXPECT_THAT(verified.error().message, Not(HasSubstr(token.substr(token.rfind('.') + 1))));
      }
    }
  }

  testing::FakeClock clock_;
};

constexpr std::string_view kHeader = R"({"alg":"HS256","kid":"v1"})";
constexpr std::string_view kNotObject = "payload is not a JSON object";

TEST_F(JwtFastJsonTest, Claims) {
  auto ring = Ring();
  const std::string exp = Seconds(600);
  const std::string past = Seconds(-600);
  Expect(*ring, kHeader, R"({"exp":)" + exp + "}", "");
  Expect(*ring, kHeader, " \t\r\n{ \"exp\" : " + exp + " , \"sub\" : \"u\" }\n ", "");
  Expect(
      *ring, kHeader,
      R"({"exp":)" + exp + R"(,"n":{"a":[1,2.5,-3,{"b":null}],"t":true,"f":false},"e":{},"l":[]})",
      "");
  // Escapes in a key or value go to the DOM parser, which decodes them: no bypass of exp.
  Expect(*ring, kHeader, R"({"\u0065xp":)" + past + "}", "expired");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"s":"caf\u00e9 \"q\" \\"})", "");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"s":"café"})", "");
  Expect(*ring, kHeader, R"({"exp":)" + exp + ",\"s\":\"\xff\"}", kNotObject);  // not UTF-8
  Expect(*ring, kHeader, R"({"exp":)" + exp + ",\"s\":\"a\tb\"}", kNotObject);  // raw control
  // A duplicate: the last one counts, as in the DOM parser.
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"exp":)" + past + "}", "expired");
  Expect(*ring, kHeader, R"({"exp":)" + past + R"(,"exp":)" + exp + "}", "");
  // Numbers.
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"x":1e5,"y":-0.5,"z":-0,"w":2E-3})", "");
  Expect(*ring, kHeader, R"({"exp":)" + exp + ".5e0}", "");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"x":1e400})", kNotObject);
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"x":)" + std::string(400, '9') + "}", kNotObject);
  Expect(*ring, kHeader, R"({"exp":1e400})", kNotObject);
  Expect(*ring, kHeader, R"({"exp":1e-400})", "expired");  // underflows to 0
  for (std::string_view bad : {"01", "-", "1.", ".5", "+1", "1e", "0x10", "1_0", "NaN"}) {
    Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"x":)" + std::string(bad) + "}", kNotObject);
  }
  Expect(*ring, kHeader, R"({"exp":")" + exp + R"("})", "exp is not a number");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"nbf":[1]})", "nbf is not a number");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"iat":null})", "iat is not a number");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"nbf":)" + Seconds(3600) + "}", "not yet valid");
  Expect(*ring, kHeader, R"({"exp":)" + exp + R"(,"iat":)" + Seconds(3600) + "}",
         "issued in the future");
  // Structure.
  for (std::string_view bad : {"", "{", "}", "[]", "null", "{}x", "{},", R"({"a":1,})",
                               R"({"a" 1})", R"({a:1})", R"({"a":tru})", R"({"a":nul})",
                               R"({"a":[1,]})", R"({"a":{"b"}})", R"({"a":[1 2]})", R"({'a':1})"}) {
    Expect(*ring, kHeader, bad, kNotObject);
  }
  // nlohmann::json reads a NUL byte as the end of its input and ignores what follows; the DOM
  // parser (core/json_bounded.h) is strict: bytes after the value are an error.
  std::string trailing_nul = R"({"exp":)" + exp + "}";
  trailing_nul.push_back('\0');
  Expect(*ring, kHeader, trailing_nul, kNotObject);
  Expect(*ring, kHeader, trailing_nul + "x", kNotObject);
  // Deeper than the scanner goes: still parsed, by the DOM parser.
  Expect(*ring, kHeader,
         R"({"exp":)" + exp + R"(,"d":)" + std::string(40, '[') + std::string(40, ']') + "}", "");
  Expect(*ring, kHeader, R"({"d":)" + std::string(40, '[') + std::string(40, ']') + "}",
         "missing exp");
}

TEST_F(JwtFastJsonTest, IssuerAndAudience) {
  JwtOptions options;
  options.issuer = "a\"b";
  options.audience = "api";
  auto ring = Ring(options);
  const std::string exp = R"({"exp":)" + Seconds(600);
  Expect(*ring, kHeader, exp + R"(,"iss":"a\"b","aud":"api"})", "");
  Expect(*ring, kHeader, exp + R"(,"iss":"a\u0022b","aud":["x",1,{"aud":"api"},"api"]})", "");
  Expect(*ring, kHeader, exp + R"(,"iss":"ab","aud":"api"})", "wrong issuer");
  Expect(*ring, kHeader, exp + R"(,"iss":["a\"b"],"aud":"api"})", "wrong issuer");
  Expect(*ring, kHeader, exp + R"(,"iss":"a\"b","aud":["x",1,{"aud":"api"}]})", "wrong audience");
  Expect(*ring, kHeader, exp + R"(,"iss":"a\"b","aud":[]})", "wrong audience");
  Expect(*ring, kHeader, exp + R"(,"iss":"a\"b","aud":"API"})", "wrong audience");
  Expect(*ring, kHeader, exp + R"(,"iss":"a\"b"})", "wrong audience");

  JwtOptions plain;
  plain.issuer = "https://auth.example.com";
  plain.audience = "api";
  auto fast = Ring(plain);
  Expect(*fast, kHeader, exp + R"(,"iss":"https://auth.example.com","aud":["web","api"]})", "");
  Expect(*fast, kHeader, exp + R"(,"iss":"https://auth.example.com","aud":["web"]})",
         "wrong audience");
}

TEST_F(JwtFastJsonTest, Header) {
  JwtOptions typed;
  typed.type = "JWT";
  auto ring = Ring(typed);
  const std::string payload = R"({"exp":)" + Seconds(600) + "}";
  Expect(*ring, R"({"alg":"HS256","typ":"jwt","kid":"v1"})", payload, "");
  Expect(*ring, R"({"typ":"JWT","alg":"HS\u0032\u0035\u0036"})", payload, "");
  Expect(*ring, R"({"alg":"HS256","typ":"JWS"})", payload, "wrong type");
  Expect(*ring, R"({"alg":"HS256","typ":1})", payload, "wrong type");
  Expect(*ring, R"({"alg":"HS256"})", payload, "wrong type");
  auto untyped = Ring();
  Expect(*untyped, R"({"alg":"HS256","kid":7})", payload, "kid is not a string");
  Expect(*untyped, R"({"alg":"HS256","kid":"v2"})", payload, "unknown key");
  Expect(*untyped, R"({"alg":"HS256","kid":"v\u0031"})", payload, "");
  Expect(*untyped, R"({"alg":"HS256","crit":["exp"]})", payload, "unsupported critical header");
  Expect(*untyped, R"({"alg":"HS256","alg":"none"})", payload, "algorithm not allowed");
  Expect(*untyped, R"({"alg":"none","alg":"HS256"})", payload, "");
  Expect(*untyped, R"({"alg":"hs256"})", payload, "algorithm not allowed");
  Expect(*untyped, R"({"alg":["HS256"]})", payload, "header has no alg");
  Expect(*untyped, R"({"kid":"v1"})", payload, "header has no alg");
  Expect(*untyped, R"({"alg":"HS256"} x)", payload, "header is not a JSON object");
  Expect(*untyped, R"({"alg":"HS256","x":{"y":[true,false,null]}})", payload, "");
  // Past the scanner's depth (32) the DOM parser decides, which refuses nesting deeper than 64
  // (core/json_bounded.h) as any malformed header.
  const auto nest = [](std::size_t depth) {
    return R"({"alg":"HS256","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  Expect(*untyped, nest(63), payload, "");
  Expect(*untyped, nest(64), payload, "header is not a JSON object");
  Expect(*untyped, nest(100'000), payload, "token too large");  // refused before parsing
}

}  // namespace
}  // namespace locksmith
