// Which secrets `locksmith run` delivers under which names, and the child's environment.
#include "cli/run_secrets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr std::string_view kRunPlantedPassword = "planted-run-password-Vq81";
constexpr std::string_view kRunPlantedJwt = "planted-run-jwt-Zx40";

std::vector<std::string> RunSecretPairs(const std::vector<RunSecret>& secrets) {
  std::vector<std::string> out;
  for (const RunSecret& s : secrets) {
    out.push_back(s.env_var + "=" + s.ref);
  }
  return out;
}

TEST(RunSecretSpecTest, ParsesEnvAndReference) {
  auto parsed = ParseRunSecretSpec("DB_PASSWORD=database#password");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->env_var, "DB_PASSWORD");
  EXPECT_EQ(parsed->ref, "database#password");
}

TEST(RunSecretSpecTest, RefusesBadSpecsWithoutEchoingAValue) {
  auto no_equals = ParseRunSecretSpec("hunter2-typed-here");
  EXPECT_THAT(no_equals, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_equals.error().message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(ParseRunSecretSpec("1BAD=jwt-secret"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseRunSecretSpec("BAD-NAME=jwt-secret"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseRunSecretSpec("=jwt-secret"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseRunSecretSpec("JWT="), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseRunSecretSpec("JWT=a//b"), HasError(ErrorCode::kInvalidArgument));
}

class SelectRunSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(secrets_.Seed("database-password", kRunPlantedPassword), IsOk());
    ASSERT_THAT(secrets_.Seed("jwt-secret", kRunPlantedJwt), IsOk());
  }
  testing::InMemorySecrets secrets_;
};

TEST_F(SelectRunSecretsTest, DefaultIsTheStandardSecretsThatExistUnderCanonicalNames) {
  auto selected = SelectRunSecrets(secrets_.manager(), {}, false);
  ASSERT_THAT(selected, IsOk());
  EXPECT_THAT(RunSecretPairs(*selected),
              ElementsAre("JWT_SECRET=jwt-secret", "DATABASE_PASSWORD=database-password"));
}

TEST_F(SelectRunSecretsTest, EnvFileNamesAddTheAliases) {
  auto selected = SelectRunSecrets(secrets_.manager(), {}, true);
  ASSERT_THAT(selected, IsOk());
  EXPECT_THAT(RunSecretPairs(*selected),
              ElementsAre("JWT_SECRET=jwt-secret", "JWT_SECRET_KEY=jwt-secret",
                          "DATABASE_PASSWORD=database-password", "DB_PASSWORD=database-password",
                          "POSTGRES_PASSWORD=database-password"));
}

TEST_F(SelectRunSecretsTest, SpecsAreTakenAsGiven) {
  auto selected =
      SelectRunSecrets(secrets_.manager(), {"PGPASSWORD=database-password", "K=nope"}, false);
  ASSERT_THAT(selected, IsOk());
  EXPECT_THAT(RunSecretPairs(*selected), ElementsAre("PGPASSWORD=database-password", "K=nope"));
}

TEST_F(SelectRunSecretsTest, Errors) {
  EXPECT_THAT(SelectRunSecrets(secrets_.manager(), {"A=jwt-secret", "A=database-password"}, false),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SelectRunSecrets(secrets_.manager(), {"A=jwt-secret"}, true),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SelectRunSecrets(secrets_.manager(), {"no-equals"}, false),
              HasError(ErrorCode::kInvalidArgument));
  secrets_.provider().Fail(ErrorCode::kPermissionDenied);
  auto denied = SelectRunSecrets(secrets_.manager(), {}, false);
  EXPECT_THAT(denied, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(denied.error().message, HasSubstr("db-encryption-key"));
}

TEST(SelectRunSecretsEmptyTest, NoStandardSecretIsNotFound) {
  testing::InMemorySecrets empty;
  auto selected = SelectRunSecrets(empty.manager(), {}, false);
  EXPECT_THAT(selected, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(selected.error().message, HasSubstr("--secret"));
}

TEST_F(SelectRunSecretsTest, ReadNamesTheMissingSecretAndItsVariable) {
  auto values = ReadRunSecrets(secrets_.manager(),
                               {{"JWT_SECRET", "jwt-secret"}, {"STRIPE_KEY", "stripe-key"}});
  EXPECT_THAT(values, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(values.error().message, AllOf(HasSubstr("'stripe-key'"), HasSubstr("STRIPE_KEY")));
  EXPECT_THAT(values.error().message, Not(HasSubstr(kRunPlantedJwt)));
}

TEST(ChildEnvironmentTest, WithholdsCredentialsAndReplacesDeliveredNames) {
  std::vector<std::string_view> base = {
      "PATH=/usr/bin",       "VAULT_TOKEN=s.planted",        "VAULT_ADDR=http://127.0.0.1:8200",
      "VAULT_ROLE_ID=role",  "VAULT_SECRET_ID_FILE=/run/id", "LOCKSMITH_MASTER_KEY_FILE=/k",
      "AWS_ACCESS_KEY_ID=A", "AWS_SECRET_ACCESS_KEY=S",      "JWT_SECRET=stale-from-dotenv",
      "JWT_SECRET_FILE=/x",  "AWS_REGION=eu-west-1",         "NOEQUALS"};
  std::vector<RunSecret> secrets = {{"JWT_SECRET", "jwt-secret"}};
  std::vector<SecretValue> values;
  values.emplace_back(std::string(kRunPlantedJwt));
  ChildEnvironment env = BuildChildEnvironment(base, secrets, values, {});
  EXPECT_THAT(env.entries(),
              ElementsAre("PATH=/usr/bin", "VAULT_ADDR=http://127.0.0.1:8200",
                          "AWS_REGION=eu-west-1", "JWT_SECRET=" + std::string(kRunPlantedJwt)));
  std::vector<char*> envp = env.Envp();
  ASSERT_EQ(envp.size(), 5u);
  EXPECT_EQ(envp.back(), nullptr);

  ChildEnvironment with_files = BuildChildEnvironment(base, secrets, values, {"/run/s/JWT_SECRET"});
  EXPECT_THAT(with_files.entries(), Contains("JWT_SECRET_FILE=/run/s/JWT_SECRET"));
  for (const std::string& entry : with_files.entries()) {
    EXPECT_THAT(entry, Not(HasSubstr(kRunPlantedJwt)));
    EXPECT_THAT(entry, Not(HasSubstr("stale-from-dotenv")));
  }
}

}  // namespace
}  // namespace locksmith
