// The real process environment (ProcessEnv, and so SecretsManager::FromEnv()): a secret-bearing
// variable is read once, then gone from getenv and from `environ`, and still answered from the
// kept copy; other variables are left alone. (That the bytes of the exec-time block are wiped,
// which /proc/PID/environ shows, is proven on the real program in
// tests/integration/process_hardening_test.cc.)
#include "core/secret_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "locksmith/dotenv_provider.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::IsOk;

// base64 of the 32 bytes "planted-master-key-0123456789abc".
constexpr char kEnvPlantedMasterKey[] = "cGxhbnRlZC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmM=";
constexpr char kEnvPlantedVaultToken[] = "hvs.planted-env-token-61b0";

bool EnvironHolds(std::string_view text) {
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).find(text) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

TEST(SecretEnvTest, SecretBearingVariableIsTakenOutOnFirstReadAndStillAnswered) {
  ASSERT_EQ(setenv("AWS_SESSION_TOKEN", "planted-session-token-3e", 1), 0);
  EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("AWS_SESSION_TOKEN"), "planted-session-token-3e");
  EXPECT_EQ(std::getenv("AWS_SESSION_TOKEN"), nullptr);
  EXPECT_FALSE(EnvironHolds("planted-session-token-3e"));
  EXPECT_EQ(env("AWS_SESSION_TOKEN"), "planted-session-token-3e");  // the kept copy
  EXPECT_EQ(ProcessEnv()("AWS_SESSION_TOKEN"), "planted-session-token-3e");

  // Set again (rotated by the service itself): the new value replaces the kept one.
  ASSERT_EQ(setenv("AWS_SESSION_TOKEN", "planted-session-token-4f", 1), 0);
  EXPECT_EQ(env("AWS_SESSION_TOKEN"), "planted-session-token-4f");
  EXPECT_EQ(std::getenv("AWS_SESSION_TOKEN"), nullptr);
}

TEST(SecretEnvTest, OtherVariablesAndUnsetOnesAreLeftAlone) {
  ASSERT_EQ(setenv("LOCKSMITH_SECRET_ENV_TEST_PLAIN", "plain-value", 1), 0);
  EXPECT_EQ(ProcessEnv()("LOCKSMITH_SECRET_ENV_TEST_PLAIN"), "plain-value");
  EXPECT_STREQ(std::getenv("LOCKSMITH_SECRET_ENV_TEST_PLAIN"), "plain-value");
  ASSERT_EQ(unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), 0);
  EXPECT_EQ(ProcessEnv()("AWS_CONTAINER_AUTHORIZATION_TOKEN"), std::nullopt);
}

TEST(SecretEnvTest, TheListNamesEverySecretBearingVariableTheLibraryReads) {
  for (const char* name :
       {"VAULT_TOKEN", "VAULT_SECRET_ID", "LOCKSMITH_MASTER_KEY", "LOCKSMITH_AGENT_TOKEN",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}) {
    EXPECT_TRUE(internal::IsSecretBearingEnvVar(name)) << name;
  }
  for (const char* name : {"VAULT_ADDR", "VAULT_ROLE_ID", "AWS_ACCESS_KEY_ID", "VAULT_TOKEN_FILE",
                           "LOCKSMITH_MASTER_KEY_FILE", "HOME"}) {
    EXPECT_FALSE(internal::IsSecretBearingEnvVar(name)) << name;
  }
}

TEST(SecretEnvTest, FromEnvTakesTheVariablesItReadsOutOfTheEnvironment) {
  testing::TempDir dir;
  ASSERT_EQ(setenv("SECRETS_BACKEND", "local", 1), 0);
  ASSERT_EQ(setenv("LOCKSMITH_STORE", (dir.path() / "secrets.db").c_str(), 1), 0);
  ASSERT_EQ(setenv("LOCKSMITH_MASTER_KEY", kEnvPlantedMasterKey, 1), 0);
  ASSERT_EQ(setenv("VAULT_TOKEN", kEnvPlantedVaultToken, 1), 0);
  auto secrets = SecretsManager::FromEnv();
  ASSERT_THAT(secrets, IsOk());
  EXPECT_EQ(std::getenv("LOCKSMITH_MASTER_KEY"), nullptr);
  EXPECT_EQ(std::getenv("VAULT_TOKEN"), nullptr);
  EXPECT_FALSE(EnvironHolds(kEnvPlantedMasterKey));
  EXPECT_FALSE(EnvironHolds(kEnvPlantedVaultToken));
  // The store opened with the key it read, and a second start in this process reads it again.
  ASSERT_THAT((*secrets)->Put("jwt-secret", SecretValue("v1")), IsOk());
  secrets->reset();
  auto again = SecretsManager::FromEnv();
  ASSERT_THAT(again, IsOk());
  auto value = (*again)->Get("jwt-secret");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("v1"));
  unsetenv("SECRETS_BACKEND");
  unsetenv("LOCKSMITH_STORE");
}

}  // namespace
}  // namespace locksmith
