#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "locksmith/config.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::FakeClock;
using ::locksmith::testing::FakeRandom;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::TempDir;

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

class CreateProviderTest : public ::testing::Test {
 protected:
  TempDir dir_;
  FakeClock clock_;
  FakeRandom random_;
};

TEST_F(CreateProviderTest, LocalStoreWithAKeyFileNextToTheStore) {
  EnvLookup env = MapEnv({{"LOCKSMITH_STORE", (dir_.path() / "store" / "secrets.db").string()}});
  auto config = LoadConfig(env);
  ASSERT_THAT(config, IsOk());
  auto provider = CreateProvider(*config, env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "local");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "store" / "master.key"));
  ASSERT_THAT((*provider)->Put("jwt-secret", SecretValue("v1"), Stage::kCurrent), IsOk());
  auto got = (*provider)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("v1"));
}

TEST_F(CreateProviderTest, LocalStoreWithAnInlineKeyKeepsTheConfigUsable) {
  EnvLookup env =
      MapEnv({{"LOCKSMITH_STORE", (dir_.path() / "secrets.db").string()},
              {"LOCKSMITH_MASTER_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}});
  auto config = LoadConfig(env);
  ASSERT_THAT(config, IsOk());
  auto provider = CreateProvider(*config, env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "local");
  // The key was cloned, not moved out of the config.
  ASSERT_TRUE(config->local.master_key_base64.has_value());
  EXPECT_FALSE(config->local.master_key_base64->empty());
}

TEST_F(CreateProviderTest, LocalStoreErrorsPassThrough) {
  const auto key_file = dir_.path() / "loose.key";
  {
    std::ofstream out(key_file);
    out << "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  }
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write |
                                             std::filesystem::perms::others_read);
  EnvLookup env = MapEnv({{"LOCKSMITH_STORE", (dir_.path() / "secrets.db").string()},
                          {"LOCKSMITH_MASTER_KEY_FILE", key_file.string()}});
  auto config = LoadConfig(env);
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(CreateProvider(*config, env, clock_, random_),
              HasError(ErrorCode::kPermissionDenied));
}

TEST_F(CreateProviderTest, Dotenv) {
  const auto file = dir_.path() / ".env";
  {
    std::ofstream out(file);
    out << "JWT_SECRET=from-file\n";
  }
  EnvLookup env = MapEnv({{"SECRETS_BACKEND", "dotenv"},
                          {"LOCKSMITH_DOTENV_FILE", file.string()},
                          {"LOCKSMITH_STORE", (dir_.path() / "data" / "secrets.db").string()},
                          {"LOCKSMITH_DOTENV_ALLOW", "DB_ENCRYPTION_KEY, OTHER"},
                          {"DB_ENCRYPTION_KEY", "from-env"},
                          {"NOT_ALLOWED", "from-env"}});
  auto config = LoadConfig(env);
  ASSERT_THAT(config, IsOk());
  auto provider = CreateProvider(*config, env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "dotenv");
  auto from_file = (*provider)->Get("jwt-secret", {});
  ASSERT_THAT(from_file, IsOk());
  EXPECT_TRUE(from_file->value.Equals("from-file"));
  // The same lookup serves as the process environment of the dotenv back end, for the names
  // LOCKSMITH_DOTENV_ALLOW lists only.
  auto from_env = (*provider)->Get("db-encryption-key", {});
  ASSERT_THAT(from_env, IsOk());
  EXPECT_TRUE(from_env->value.Equals("from-env"));
  EXPECT_THAT((*provider)->Get("not-allowed", {}), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(config->dotenv.env_allow, ::testing::ElementsAre("DB_ENCRYPTION_KEY", "OTHER"));
  // The version-id key lives beside the store.
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "dotenv-version.key"));
}

TEST_F(CreateProviderTest, DotenvRefusedInProduction) {
  EnvLookup env = MapEnv({{"ENABLE_SECRETS_MANAGER", "false"},
                          {"APP_ENV", "production"},
                          {"LOCKSMITH_DOTENV_FILE", (dir_.path() / ".env").string()}});
  auto config = LoadConfig(env);
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(
      CreateProvider(*config, env, clock_, random_),
      HasErrorMessage(ErrorCode::kFailedPrecondition, "LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION"));
}

TEST_F(CreateProviderTest, EveryBackEndIsBuiltIn) {
  // Vault and AWS have their own files: tests/config/vault_config_test.cc, aws_config_test.cc.
  // Here only that aws no longer answers kUnimplemented (it builds without touching the network).
  EnvLookup aws_env = MapEnv({{"SECRETS_BACKEND", "aws"},
                              {"AWS_REGION", "us-east-1"},
                              {"HOME", dir_.path().string()},
                              {"AWS_ENDPOINT_URL", "http://127.0.0.1:9"}});
  auto aws = LoadConfig(aws_env);
  ASSERT_THAT(aws, IsOk());
  auto provider = CreateProvider(*aws, aws_env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "aws");
}

}  // namespace
}  // namespace locksmith
