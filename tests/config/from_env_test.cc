// SecretsManager::FromEnv: the one-line start over the environment it is given. A working
// configuration gives a running manager that owns its metrics; a broken one gives one
// INVALID_ARGUMENT naming every bad variable and never the value of a secret-bearing one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::FakeEnv;
using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kFromEnvPlantedToken = "planted-vault-token-Zq81";
constexpr std::string_view kFromEnvPlantedKey = "planted-master-key-Ye02";

TEST(FromEnvTest, EmbeddedStoreByDefault) {
  testing::TempDir dir;
  auto secrets = SecretsManager::FromEnv(
      FakeEnv().Set("LOCKSMITH_STORE", (dir.path() / "secrets.db").string()).Lookup());
  ASSERT_THAT(secrets, IsOk());
  EXPECT_EQ((*secrets)->Backend(), "local");
  ASSERT_THAT((*secrets)->Put("jwt-secret", SecretValue("v1")), IsOk());
  auto value = (*secrets)->Get("jwt-secret");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("v1"));
  ASSERT_THAT((*secrets)->Get("jwt-secret"), IsOk());  // now from the cache
  // The manager owns its metrics: the write and both reads were counted.
  const std::string text = (*secrets)->metrics().RenderText();
  EXPECT_THAT(text, HasSubstr("operation=\"put\",result=\"success\"} 1"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_cache_misses_total 1"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_cache_hits_total 1"));
}

TEST(FromEnvTest, EveryProblemAtOnceWithoutSecretValues) {
  auto secrets =
      SecretsManager::FromEnv(FakeEnv()
                                  .Set("SECRETS_BACKEND", "vault")
                                  .Set("VAULT_TOKEN", std::string(kFromEnvPlantedToken))
                                  .Set("VAULT_ADDR", "not a url")
                                  .Set("LOCKSMITH_CACHE_TTL", "five minutes")
                                  .Set("LOCKSMITH_MASTER_KEY", std::string(kFromEnvPlantedKey))
                                  .Lookup());
  ASSERT_THAT(secrets, HasError(ErrorCode::kInvalidArgument));
  const std::string& message = secrets.error().message;
  EXPECT_THAT(message, HasSubstr("VAULT_ADDR"));
  EXPECT_THAT(message, HasSubstr("LOCKSMITH_CACHE_TTL"));
  EXPECT_THAT(message, Not(HasSubstr(kFromEnvPlantedToken)));
  EXPECT_THAT(message, Not(HasSubstr(kFromEnvPlantedKey)));
}

TEST(FromEnvTest, ABackEndThatCannotStartIsAnError) {
  testing::TempDir dir;
  // A .env back end refuses production unless allowed.
  auto secrets =
      SecretsManager::FromEnv(FakeEnv()
                                  .Set("SECRETS_BACKEND", "dotenv")
                                  .Set("APP_ENV", "production")
                                  .Set("LOCKSMITH_DOTENV_FILE", (dir.path() / ".env").string())
                                  .Lookup());
  EXPECT_THAT(secrets, HasError(ErrorCode::kFailedPrecondition));
}

}  // namespace
}  // namespace locksmith
