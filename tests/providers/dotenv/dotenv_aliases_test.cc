// The dotenv back end answers a standard name from any of its `.env` variables (docs/naming.md
// "Standard names"): the guide's own `.env` sets DB_PASSWORD, which is `database-password`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "locksmith/dotenv_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::FakeClock;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class DotenvAliasTest : public ::testing::Test {
 protected:
  void WriteEnvFile(std::string_view content) {
    std::ofstream out(dir_.path() / ".env", std::ios::binary | std::ios::trunc);
    out << content;
  }

  Result<ProviderPtr> Open(std::vector<std::string> allow = {}) {
    DotenvOptions options;
    options.file = dir_.path() / ".env";
    options.version_key_file = dir_.path() / "state" / "dotenv-version.key";
    options.env_allow = std::move(allow);
    return CreateDotenvProvider(std::move(options), Lookup(), clock_);
  }

  EnvLookup Lookup() {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }

  static std::string ValueOf(Provider& p, std::string_view name) {
    auto s = p.Get(name, VersionSelector::Current());
    EXPECT_THAT(s, IsOk()) << name;
    return s.ok() ? std::string(s->value.RevealUnsafe()) : "";
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  FakeClock clock_;
};

TEST_F(DotenvAliasTest, GuideStyleFileAnswersTheStandardNames) {
  WriteEnvFile(
      "DB_PASSWORD=db-pw\nJWT_SECRET_KEY=jwt\ndatabase_encryption_key=enc\nREDIS_PASSWORD=r\n"
      "STRIPE_KEY=s\n");
  auto p = Open();
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(ValueOf(**p, "database-password"), "db-pw");
  EXPECT_EQ(ValueOf(**p, "jwt-secret"), "jwt");
  EXPECT_EQ(ValueOf(**p, "db-encryption-key"), "enc");  // any case
  EXPECT_EQ(ValueOf(**p, "redis-password"), "r");
  EXPECT_EQ(ValueOf(**p, "stripe-key"), "s");
  // list shows the standard name of an alias, once.
  EXPECT_THAT(*(*p)->List(""), ElementsAre("database-password", "db-encryption-key", "jwt-secret",
                                           "redis-password", "stripe-key"));
  EXPECT_THAT(*(*p)->List("data"), ElementsAre("database-password"));
  auto described = (*p)->Describe("database-password");
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->name, "database-password");
}

TEST_F(DotenvAliasTest, CanonicalVariableComesFirstAndEqualAliasesAgree) {
  WriteEnvFile("DATABASE_PASSWORD=same\nDB_PASSWORD=same\nPOSTGRES_PASSWORD=same\n");
  auto p = Open();
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(ValueOf(**p, "database-password"), "same");
  EXPECT_THAT(*(*p)->List(""), ElementsAre("database-password"));
}

TEST_F(DotenvAliasTest, TwoVariablesWithDifferentValuesAreAnErrorNamingBoth) {
  WriteEnvFile("DATABASE_PASSWORD=planted-one\nDB_PASSWORD=planted-two\n");
  auto p = Open();
  ASSERT_THAT(p, IsOk());
  auto got = (*p)->Get("database-password", {});
  ASSERT_THAT(got, HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(got.error().message, HasSubstr("DATABASE_PASSWORD"));
  EXPECT_THAT(got.error().message, HasSubstr("DB_PASSWORD"));
  EXPECT_THAT(got.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT((*p)->Describe("database-password"), HasError(ErrorCode::kFailedPrecondition));
}

TEST_F(DotenvAliasTest, EnvironmentWinsPerVariableAndConflictsCount) {
  // The file sets DB_PASSWORD; the exported DB_PASSWORD wins over it, as for canonical names.
  WriteEnvFile("DB_PASSWORD=from-file\n");
  env_["DB_PASSWORD"] = "from-env";
  env_["DATABASE_PASSWORD"] = "not-served";  // neither in the file nor allow-listed
  auto p = Open();
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(ValueOf(**p, "database-password"), "from-env");
  // Allow-listed, the canonical variable is served too, and it disagrees with the alias.
  auto allowed = Open({"DATABASE_PASSWORD"});
  ASSERT_THAT(allowed, IsOk());
  auto got = (*allowed)->Get("database-password", {});
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kFailedPrecondition, "DB_PASSWORD"));
  EXPECT_THAT(got.error().message, Not(HasSubstr("from-")));
  EXPECT_THAT(got.error().message, Not(HasSubstr("not-served")));
}

TEST_F(DotenvAliasTest, AllowListedAliasIsServedFromTheEnvironment) {
  env_["DB_PASSWORD"] = "exported";
  auto p = Open({"DB_PASSWORD"});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(ValueOf(**p, "database-password"), "exported");
  EXPECT_THAT(*(*p)->List(""), ElementsAre("database-password"));
}

TEST_F(DotenvAliasTest, NotFoundNamesEveryVariableTried) {
  auto p = Open();
  ASSERT_THAT(p, IsOk());
  auto got = (*p)->Get("database-password", {});
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kNotFound,
                                   "set DATABASE_PASSWORD (or DB_PASSWORD, POSTGRES_PASSWORD)"));
  EXPECT_THAT((*p)->Get("redis-password", {}),
              HasErrorMessage(ErrorCode::kNotFound, "set REDIS_PASSWORD in"));
}

}  // namespace
}  // namespace locksmith
