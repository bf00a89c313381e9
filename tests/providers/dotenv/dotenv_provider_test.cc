#include "locksmith/dotenv_provider.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/matchers.h"
#include "providers/dotenv/dotenv_internal.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::FakeClock;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::LogCapture;
using ::locksmith::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class FakeEnv {
 public:
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  EnvLookup Lookup() {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars_.find(std::string(name));
      if (it == vars_.end()) {
        return std::nullopt;
      }
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

class DotenvProviderTest : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir_.path() / ".env"; }

  // Writes the file and moves its mtime forward, so a rewrite within the same clock tick of the
  // file system is still seen as a change.
  void WriteFile(std::string_view content) {
    {
      std::ofstream out(file(), std::ios::binary | std::ios::trunc);
      out << content;
    }
    static int generation = 0;
    std::filesystem::last_write_time(
        file(), std::filesystem::file_time_type::clock::now() + std::chrono::seconds(++generation));
  }

  DotenvOptions Options() const {
    DotenvOptions o;
    o.file = file();
    o.version_key_file = dir_.path() / "state" / "dotenv-version.key";
    return o;
  }

  Result<ProviderPtr> Create(DotenvOptions options) {
    return CreateDotenvProvider(std::move(options), env_.Lookup(), clock_);
  }

  std::string Value(Provider& p, std::string_view name) {
    auto s = p.Get(name, VersionSelector::Current());
    EXPECT_THAT(s, IsOk()) << name;
    return s.ok() ? std::string(s->value.RevealUnsafe()) : "";
  }

  TempDir dir_;
  FakeEnv env_;
  FakeClock clock_;
};

TEST_F(DotenvProviderTest, ReadsLogicalNamesFromTheFile) {
  WriteFile("DB_ENCRYPTION_KEY=file-key\nexport JWT_SECRET='jwt value'\nrpc_alchemy_api_key=ak\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ((*p)->Kind(), "dotenv");
  EXPECT_EQ(Value(**p, "db-encryption-key"), "file-key");
  EXPECT_EQ(Value(**p, "jwt-secret"), "jwt value");
  // Keys are matched whatever their case in the file, and '/' maps to '_'.
  EXPECT_EQ(Value(**p, "rpc/alchemy-api-key"), "ak");
  auto s = (*p)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->name, "jwt-secret");
  EXPECT_THAT(s->version.stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(s->version.created, clock_.WallNow());
}

TEST_F(DotenvProviderTest, LaterAssignmentWins) {
  WriteFile("A_KEY=1\nA_KEY=2\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(Value(**p, "a-key"), "2");
}

TEST_F(DotenvProviderTest, EnvironmentWinsOverTheFile) {
  WriteFile("DB_ENCRYPTION_KEY=from-file\nJWT_SECRET=jwt-from-file\n");
  env_.Set("DB_ENCRYPTION_KEY", "from-env");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(Value(**p, "db-encryption-key"), "from-env");
  EXPECT_EQ(Value(**p, "jwt-secret"), "jwt-from-file");
}

TEST_F(DotenvProviderTest, EnvironmentIgnoredWhenDisabled) {
  WriteFile("DB_ENCRYPTION_KEY=from-file\n");
  env_.Set("DB_ENCRYPTION_KEY", "from-env");
  env_.Set("ONLY_IN_ENV", "x");
  auto options = Options();
  options.use_process_env = false;
  auto p = Create(options);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(Value(**p, "db-encryption-key"), "from-file");
  EXPECT_THAT((*p)->Get("only-in-env", {}), HasError(ErrorCode::kNotFound));
}

// Issue 9: the dotenv back end served any variable of its own process. Only the names the file
// sets, and those LOCKSMITH_DOTENV_ALLOW lists, come from the environment.
TEST_F(DotenvProviderTest, ProcessVariablesNeedTheFileOrTheAllowList) {
  env_.Set("REDIS_PASSWORD", "redis-pw");
  env_.Set("HOME_SECRET", "not-for-the-agent");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto not_listed = (*p)->Get("redis-password", {});
  EXPECT_THAT(not_listed, HasErrorMessage(ErrorCode::kNotFound, "LOCKSMITH_DOTENV_ALLOW"));
  EXPECT_THAT(not_listed.error().message, Not(HasSubstr("redis-pw")));
  auto missing = (*p)->Get("database-password", {});
  EXPECT_THAT(missing, HasErrorMessage(ErrorCode::kNotFound, "DATABASE_PASSWORD"));
  auto listed = (*p)->List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->empty());

  auto options = Options();
  options.env_allow = {"REDIS_PASSWORD", "UNSET_ONE"};
  auto allowed = Create(options);
  ASSERT_THAT(allowed, IsOk());
  EXPECT_EQ(Value(**allowed, "redis-password"), "redis-pw");
  EXPECT_THAT((*allowed)->Get("home-secret", {}), HasError(ErrorCode::kNotFound));
  EXPECT_THAT((*allowed)->Get("unset-one", {}), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(*(*allowed)->List(""), ElementsAre("redis-password"));
}

TEST_F(DotenvProviderTest, AllowListRefusesReservedAndMalformedNames) {
  for (const char* bad :
       {"AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN", "LOCKSMITH_MASTER_KEY", "A-B", "1ABC", ""}) {
    auto options = Options();
    options.env_allow = {bad};
    EXPECT_THAT(Create(options), HasError(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST_F(DotenvProviderTest, FileCreatedLaterIsPickedUp) {
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT((*p)->Get("jwt-secret", {}), HasError(ErrorCode::kNotFound));
  WriteFile("JWT_SECRET=now-here\n");
  EXPECT_EQ(Value(**p, "jwt-secret"), "now-here");
  std::filesystem::remove(file());
  EXPECT_THAT((*p)->Get("jwt-secret", {}), HasError(ErrorCode::kNotFound));
}

TEST_F(DotenvProviderTest, RejectsInvalidNames) {
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT((*p)->Get("bad name", {}), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT((*p)->Get("", {}), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT((*p)->Describe("a//b"), HasError(ErrorCode::kInvalidArgument));
}

std::string IdOf(Provider& p, std::string_view name) {
  auto s = p.Get(name, {});
  EXPECT_THAT(s, IsOk());
  return s.ok() ? s->version.version_id : "";
}

// Issue 9: version ids were the SHA-256 prefix of the value, so a dictionary recovered short
// values from `describe`. They are now an HMAC under a key kept in a private file, stable across
// restarts (encryption key ids derive from them).
TEST_F(DotenvProviderTest, VersionIdRevealsNothingAndSurvivesARestart) {
  WriteFile("A_KEY=abc\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  const std::string id = IdOf(**p, "a-key");
  EXPECT_EQ(id.size(), 16u);
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223...
  EXPECT_NE(id, "ba7816bf8f01cfea");
  EXPECT_EQ(id.find("ba7816bf"), std::string::npos);

  struct stat st {};
  ASSERT_EQ(::stat(Options().version_key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(Options().version_key_file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto restarted = Create(Options());  // a new process: same key file, same id
  ASSERT_THAT(restarted, IsOk());
  EXPECT_EQ(IdOf(**restarted, "a-key"), id);

  auto other_options = Options();  // another key: another id for the same value
  other_options.version_key_file = dir_.path() / "other" / "dotenv-version.key";
  auto other = Create(other_options);
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(IdOf(**other, "a-key"), id);
}

TEST_F(DotenvProviderTest, UnusableVersionKeyFileFallsBackToAProcessKeyWithAWarning) {
  WriteFile("A_KEY=abc\n");
  auto options = Options();
  std::filesystem::create_directories(options.version_key_file.parent_path());
  ::chmod(options.version_key_file.parent_path().c_str(), 0700);
  std::ofstream(options.version_key_file) << "PLANTED-key-file-content\n";
  ::chmod(options.version_key_file.c_str(), 0644);  // others could read it: refused
  LogCapture logs;
  auto first = Create(options);
  ASSERT_THAT(first, IsOk());
  auto second = Create(options);
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(IdOf(**first, "a-key"), IdOf(**second, "a-key"));  // one key per process
  EXPECT_THAT(logs.Text(), HasSubstr("change when it restarts"));
  EXPECT_THAT(logs.Text(), HasSubstr("chmod 600"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("PLANTED")));
}

TEST_F(DotenvProviderTest, NeverServesLocksmithOrBackEndCredentialsFromTheEnvironment) {
  // Regression (issue 9): the agent on the dotenv back end served its own credentials.
  for (const char* var :
       {"AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN", "LOCKSMITH_MASTER_KEY", "LOCKSMITH_AGENT_TOKEN"}) {
    env_.Set(var, "planted-credential-Qm4");
  }
  env_.Set("REDIS_PASSWORD", "redis-pw");
  auto options = Options();
  options.env_allow = {"REDIS_PASSWORD"};
  auto p = Create(options);
  ASSERT_THAT(p, IsOk());
  for (const char* name :
       {"aws-secret-access-key", "vault-token", "locksmith-master-key", "locksmith-agent-token"}) {
    auto got = (*p)->Get(name, {});
    EXPECT_THAT(got, HasError(ErrorCode::kNotFound)) << name;
    if (!got.ok()) {
      EXPECT_EQ(got.error().message.find("planted-credential"), std::string::npos);
    }
  }
  EXPECT_EQ(Value(**p, "redis-password"), "redis-pw");
  // Set in the .env file itself, such a name is the user's own and is served (the environment
  // does not override it).
  WriteFile("AWS_REGION_SECRET=from-file\n");
  env_.Set("AWS_REGION_SECRET", "from-env");
  auto r = Create(Options());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Value(**r, "aws-region-secret"), "from-file");
}

TEST_F(DotenvProviderTest, FileChangeIsANewVersion) {
  WriteFile("JWT_SECRET=one\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto first = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(first, IsOk());

  clock_.Advance(std::chrono::minutes(1));
  WriteFile("JWT_SECRET=two\n");  // same size, different content and mtime
  auto second = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->value.Equals("two"));
  EXPECT_NE(second->version.version_id, first->version.version_id);
  EXPECT_EQ(second->version.created, clock_.WallNow());

  // Rewriting the same value keeps the id and the first-seen time.
  clock_.Advance(std::chrono::minutes(1));
  WriteFile("# touched\nJWT_SECRET=two\n");
  auto third = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->version.version_id, second->version.version_id);
  EXPECT_EQ(third->version.created, second->version.created);
}

TEST_F(DotenvProviderTest, EnvironmentChangeIsANewVersion) {
  WriteFile("JWT_SECRET=from-file\n");
  env_.Set("JWT_SECRET", "one");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto first = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(first, IsOk());
  env_.Set("JWT_SECRET", "two");
  auto second = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(second->version.version_id, first->version.version_id);
}

TEST_F(DotenvProviderTest, OnlyTheCurrentStageExists) {
  WriteFile("JWT_SECRET=one\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto current = (*p)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_THAT((*p)->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)),
              HasErrorMessage(ErrorCode::kNotFound, "previous"));
  EXPECT_THAT((*p)->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)),
              HasErrorMessage(ErrorCode::kNotFound, "pending"));
  auto by_id = (*p)->Get("jwt-secret", VersionSelector::ById(current->version.version_id));
  ASSERT_THAT(by_id, IsOk());
  EXPECT_TRUE(by_id->value.Equals("one"));
  EXPECT_THAT((*p)->Get("jwt-secret", VersionSelector::ById("0123456789abcdef")),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT((*p)->Get("nope", VersionSelector::AtStage(Stage::kPrevious)),
              HasError(ErrorCode::kNotFound));
}

TEST_F(DotenvProviderTest, DescribeHasOneVersion) {
  WriteFile("JWT_SECRET=one\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto d = (*p)->Describe("jwt-secret");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->name, "jwt-secret");
  ASSERT_EQ(d->versions.size(), 1u);
  EXPECT_EQ(d->versions[0].version_id, IdOf(**p, "jwt-secret"));
  EXPECT_TRUE(d->versions[0].HasStage(Stage::kCurrent));
  EXPECT_FALSE(d->last_rotated.has_value());
  EXPECT_THAT((*p)->Describe("missing"), HasError(ErrorCode::kNotFound));
}

TEST_F(DotenvProviderTest, ListsNamesFromTheFileFilteredByPrefix) {
  WriteFile("REDIS_PASSWORD=r\nDB_ENCRYPTION_KEY=k\nDATABASE_PASSWORD=d\nDB_ENCRYPTION_KEY=k2\n");
  env_.Set("JWT_SECRET", "not listed: the environment is not enumerated");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  auto all = (*p)->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, ElementsAre("database-password", "db-encryption-key", "redis-password"));
  auto d = (*p)->List("d");
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(*d, ElementsAre("database-password", "db-encryption-key"));
  auto none = (*p)->List("zzz");
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(DotenvProviderTest, IsReadOnly) {
  WriteFile("JWT_SECRET=one\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT((*p)->Put("jwt-secret", SecretValue("x"), Stage::kCurrent),
              HasErrorMessage(ErrorCode::kUnimplemented, "read-only; edit the .env file"));
  EXPECT_THAT((*p)->Put("jwt-secret", SecretValue("x"), Stage::kPending),
              HasError(ErrorCode::kUnimplemented));
  EXPECT_THAT((*p)->PromoteToCurrent("jwt-secret", "abc"),
              HasErrorMessage(ErrorCode::kUnimplemented, "read-only"));
  EXPECT_EQ(Value(**p, "jwt-secret"), "one");
}

TEST_F(DotenvProviderTest, MalformedFileIsRejectedWithoutItsContents) {
  WriteFile("JWT_SECRET=ok\nplanted-dotenv-s3cret\n");
  auto p = Create(Options());
  ASSERT_THAT(p, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(p.error().message, HasSubstr(file().string() + ":2:"));
  EXPECT_THAT(p.error().message, Not(HasSubstr("planted")));
}

TEST_F(DotenvProviderTest, FileBrokenByAnEditFailsUntilFixed) {
  WriteFile("JWT_SECRET=one\n");
  auto p = Create(Options());
  ASSERT_THAT(p, IsOk());
  WriteFile("JWT_SECRET=one\nJWT_SECRET='planted-unterminated\n");
  auto broken = (*p)->Get("jwt-secret", {});
  ASSERT_THAT(broken, HasErrorMessage(ErrorCode::kInvalidArgument, ":2:"));
  EXPECT_THAT(broken.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT((*p)->List(""), HasError(ErrorCode::kInvalidArgument));
  WriteFile("JWT_SECRET=two\n");
  EXPECT_EQ(Value(**p, "jwt-secret"), "two");
}

TEST_F(DotenvProviderTest, UnreadableFileIsUnavailable) {
  std::filesystem::create_directory(file());  // a directory where the file should be
  auto p = Create(Options());
  EXPECT_THAT(p, HasErrorMessage(ErrorCode::kUnavailable, file().string()));
}

TEST_F(DotenvProviderTest, RefusesProductionUnlessAllowed) {
  WriteFile("JWT_SECRET=one\n");
  for (const char* app_env : {"production", "Production", "prod"}) {
    auto options = Options();
    options.app_env = app_env;
    auto p = Create(options);
    ASSERT_THAT(p, HasError(ErrorCode::kFailedPrecondition)) << app_env;
    EXPECT_THAT(p.error().message, HasSubstr("APP_ENV"));
    EXPECT_THAT(p.error().message, HasSubstr("LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION"));
  }
  for (const char* app_env : {"", "development", "staging", "test"}) {
    auto options = Options();
    options.app_env = app_env;
    EXPECT_THAT(Create(options), IsOk()) << app_env;
  }
}

TEST_F(DotenvProviderTest, ProductionOverrideWorksAndIsLogged) {
  WriteFile("JWT_SECRET=planted-prod-value\n");
  LogCapture logs;
  auto options = Options();
  options.app_env = "production";
  options.allow_in_production = true;
  auto p = Create(options);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(Value(**p, "jwt-secret"), "planted-prod-value");
  EXPECT_THAT(logs.Text(), HasSubstr("LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("planted")));
}

TEST_F(DotenvProviderTest, WarnsOncePerProcessWithoutValues) {
  WriteFile("JWT_SECRET=planted-warn-value\n");
  env_.Set("DB_ENCRYPTION_KEY", "planted-env-value");
  internal::ResetDotenvWarningForTest();
  LogCapture logs;
  auto options = Options();
  options.env_allow = {"DB_ENCRYPTION_KEY"};
  for (int i = 0; i < 3; ++i) {
    auto p = Create(options);
    ASSERT_THAT(p, IsOk());
    EXPECT_EQ(Value(**p, "jwt-secret"), "planted-warn-value");
    EXPECT_EQ(Value(**p, "db-encryption-key"), "planted-env-value");
  }
  std::string text = logs.Text();
  const std::string marker = "development only";
  auto first = text.find(marker);
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find(marker, first + 1), std::string::npos) << "warned more than once";
  EXPECT_THAT(text, HasSubstr("warn"));
  EXPECT_THAT(text, Not(HasSubstr("planted")));
}

TEST(ProcessEnvTest, ReadsTheRealEnvironment) {
  ASSERT_EQ(::setenv("LOCKSMITH_DOTENV_TEST_VAR", "value-1", 1), 0);
  EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("LOCKSMITH_DOTENV_TEST_VAR"), std::optional<std::string>("value-1"));
  ASSERT_EQ(::unsetenv("LOCKSMITH_DOTENV_TEST_VAR"), 0);
  EXPECT_EQ(env("LOCKSMITH_DOTENV_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace locksmith
