// jwt sign / jwt verify / encrypt / decrypt against a real SecretsManager over an in-memory
// provider; exit codes through ExitCodeFor; no key material in any output.
#include "cli/key_commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using ::testing::StartsWith;
using json = nlohmann::json;

constexpr std::string_view kJwtKey = "jwt-key-PLANTED-0123456789abcdefghijk";
// base64 of "enc-key-PLANTED-0123456789abcdef" (32 bytes)
constexpr std::string_view kEncKey = "ZW5jLWtleS1QTEFOVEVELTAxMjM0NTY3ODlhYmNkZWY=";
constexpr std::string_view kPlain = "bob-PII@example.org";

class KeyCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(secrets_.Seed("jwt-secret", kJwtKey), IsOk());
    ASSERT_THAT(secrets_.Seed("db-encryption-key", kEncKey), IsOk());
    ASSERT_THAT(secrets_.Seed("bad-key", "c2hvcnQ="), IsOk());
  }
  void TearDown() override {
    for (const std::string& text : {logs_.Text(), out_.str(), err_.str()}) {
      EXPECT_THAT(text, Not(HasSubstr("PLANTED")));
      EXPECT_THAT(text, Not(HasSubstr(kEncKey)));
    }
    EXPECT_THAT(logs_.Text(), Not(HasSubstr(kPlain)));
  }
  int Exit(const Result<void>& r) { return r.ok() ? kExitOk : ReportError(r.error(), err_); }

  testing::LogCapture logs_;
  testing::InMemorySecrets secrets_;
  SecretsManager* manager_ = &secrets_.manager();
  testing::FakeClock& clock_ = secrets_.clock();
  testing::FakeRandom& random_ = secrets_.random();
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(KeyCommandsTest, JwtSignThenVerify) {
  JwtSignCommandOptions options;
  options.claims = R"({"sub":"svc"})";
  options.ttl = "15m";
  ASSERT_EQ(Exit(JwtSignCommand(*manager_, clock_, options, out_)), kExitOk);
  const std::string token = out_.str();
  std::ostringstream claims;
  ASSERT_THAT(JwtVerifyCommand(*manager_, clock_, "jwt-secret", token, claims), IsOk());
  json parsed = json::parse(claims.str());
  EXPECT_EQ(parsed["sub"], "svc");
  EXPECT_EQ(parsed["exp"].get<std::int64_t>() - parsed["iat"].get<std::int64_t>(), 900);
}

TEST_F(KeyCommandsTest, JwtVerifyExitCodes) {
  ASSERT_THAT(JwtSignCommand(*manager_, clock_, {}, out_), IsOk());
  std::string token = out_.str();
  std::ostringstream sink;
  clock_.Advance(std::chrono::minutes(20));  // default ttl 15m + leeway 60 s
  EXPECT_EQ(Exit(JwtVerifyCommand(*manager_, clock_, "jwt-secret", token, sink)), kExitDenied);
  EXPECT_THAT(err_.str(), HasSubstr("jwt: expired"));
  EXPECT_EQ(Exit(JwtVerifyCommand(*manager_, clock_, "jwt-secret", "garbage", sink)), kExitDenied);
  EXPECT_EQ(Exit(JwtVerifyCommand(*manager_, clock_, "no-such-key", token, sink)), kExitNotFound);
  EXPECT_TRUE(sink.str().empty());
  // The token's signature never appears in errors.
  EXPECT_THAT(err_.str(), Not(HasSubstr(token.substr(token.rfind('.') + 1, 20))));
}

TEST_F(KeyCommandsTest, JwtSignUsageErrors) {
  JwtSignCommandOptions bad_ttl;
  bad_ttl.ttl = "soon";
  EXPECT_EQ(Exit(JwtSignCommand(*manager_, clock_, bad_ttl, out_)), kExitUsage);
  JwtSignCommandOptions zero_ttl;
  zero_ttl.ttl = "0s";
  EXPECT_EQ(Exit(JwtSignCommand(*manager_, clock_, zero_ttl, out_)), kExitUsage);
  JwtSignCommandOptions bad_claims;
  bad_claims.claims = "[1]";
  EXPECT_EQ(Exit(JwtSignCommand(*manager_, clock_, bad_claims, out_)), kExitUsage);
  JwtSignCommandOptions short_key;
  short_key.key = "bad-key";
  EXPECT_EQ(Exit(JwtSignCommand(*manager_, clock_, short_key, out_)), kExitUsage);
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(KeyCommandsTest, EncryptThenDecrypt) {
  std::istringstream in{std::string(kPlain)};
  ASSERT_EQ(Exit(EncryptCommand(*manager_, random_, nullptr, "db-encryption-key",
                                "users.encrypted_email.1", in, out_)),
            kExitOk);
  const std::string ciphertext = out_.str();
  EXPECT_THAT(ciphertext, StartsWith("ls1:"));
  EXPECT_THAT(ciphertext, Not(HasSubstr(kPlain)));
  std::istringstream cin(ciphertext);
  std::ostringstream plain;
  ASSERT_EQ(Exit(DecryptCommand(*manager_, random_, nullptr, "db-encryption-key",
                                "users.encrypted_email.1", cin, plain)),
            kExitOk);
  EXPECT_EQ(plain.str(), kPlain);
}

TEST_F(KeyCommandsTest, DecryptFailures) {
  std::istringstream in{std::string(kPlain)};
  ASSERT_THAT(EncryptCommand(*manager_, random_, nullptr, "db-encryption-key", "ctx.1", in, out_),
              IsOk());
  std::istringstream wrong_aad(out_.str());
  std::ostringstream plain;
  EXPECT_EQ(Exit(DecryptCommand(*manager_, random_, nullptr, "db-encryption-key", "ctx.2",
                                wrong_aad, plain)),
            kExitFailure);
  EXPECT_THAT(err_.str(), HasSubstr("decryption failed"));
  std::istringstream garbage("not a ciphertext");
  EXPECT_EQ(Exit(DecryptCommand(*manager_, random_, nullptr, "db-encryption-key", "ctx.1", garbage,
                                plain)),
            kExitFailure);
  EXPECT_TRUE(plain.str().empty());
  std::istringstream any("x");
  EXPECT_EQ(Exit(EncryptCommand(*manager_, random_, nullptr, "bad-key", "ctx", any, plain)),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("base64 of exactly 32 bytes"));
  std::istringstream big(std::string((1 << 20) + 1, 'a'));
  EXPECT_EQ(
      Exit(EncryptCommand(*manager_, random_, nullptr, "db-encryption-key", "ctx", big, plain)),
      kExitUsage);
}

}  // namespace
}  // namespace locksmith
