// The rules between configuration variables: a back end's requirements apply only to that back
// end, and they are reported together with problems of single variables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::FakeEnv;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;

TEST(ConfigRulesTest, VaultBackEndNeedsAnAddress) {
  EXPECT_THAT(
      FakeEnv().Set("SECRETS_BACKEND", "vault").Set("VAULT_TOKEN", "t").Load(),
      HasErrorMessage(ErrorCode::kInvalidArgument, "SECRETS_BACKEND=vault needs VAULT_ADDR"));
}

TEST(ConfigRulesTest, BackEndRulesApplyOnlyToThatBackEnd) {
  // Broken for vault (no address, a role id without a secret id) and for aws (a plain-http
  // endpoint elsewhere), fine for the others.
  FakeEnv env;
  env.Set("VAULT_ROLE_ID", "r").Set("AWS_ENDPOINT_URL", "http://aws.example.com");
  for (const char* backend : {"local", "dotenv"}) {
    EXPECT_THAT(FakeEnv(env).Set("SECRETS_BACKEND", backend).Load(), IsOk()) << backend;
  }
  EXPECT_THAT(FakeEnv(env).Set("SECRETS_BACKEND", "vault").Load(),
              HasErrorMessage(ErrorCode::kInvalidArgument, "VAULT_ROLE_ID"));
  EXPECT_THAT(FakeEnv(env).Set("SECRETS_BACKEND", "aws").Load(),
              HasErrorMessage(ErrorCode::kInvalidArgument, "AWS_ENDPOINT_URL"));
  // Switched off means dotenv, whatever SECRETS_BACKEND says.
  EXPECT_THAT(
      FakeEnv(env).Set("SECRETS_BACKEND", "vault").Set("ENABLE_SECRETS_MANAGER", "false").Load(),
      IsOk());
}

TEST(ConfigRulesTest, RulesAndSingleVariablesReportedTogether) {
  auto config = FakeEnv()
                    .Set("SECRETS_BACKEND", "vault")
                    .Set("VAULT_ADDR", "https://vault.internal:8200")
                    .Set("VAULT_CLIENT_CERT", "/c.pem")
                    .Set("LOCKSMITH_RETRY_MAX_ATTEMPTS", "0")
                    .Set("LOCKSMITH_RETRY_BASE_DELAY", "2s")
                    .Set("LOCKSMITH_RETRY_MAX_DELAY", "1s")
                    .Load();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  for (const char* needle : {"LOCKSMITH_RETRY_MAX_ATTEMPTS='0'", "must not exceed",
                             "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY"}) {
    EXPECT_THAT(config.error().message, HasSubstr(needle));
  }
}

}  // namespace
}  // namespace locksmith
