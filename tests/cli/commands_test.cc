// Each command against a real SecretsManager over an in-memory provider.
#include "cli/commands.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using json = nlohmann::json;

constexpr std::string_view kPlantedOld = "planted-old-value-Jd83";
constexpr std::string_view kPlantedNew = "planted-new-value-Hq27";

GetOptions Opts(std::string name, std::string stage, std::string version_id, bool json) {
  return GetOptions{std::move(name), std::move(stage), std::move(version_id), json};
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { Build("local"); }

  void Build(std::string kind) {
    secrets_ = std::make_unique<testing::InMemorySecrets>(std::move(kind));
    provider_ = &secrets_->provider();
    manager_ = &secrets_->manager();
    ASSERT_THAT(secrets_->Seed("database-password", kPlantedOld), IsOk());
    ASSERT_THAT(secrets_->Seed("database-password", kPlantedNew), IsOk());
    ASSERT_THAT(secrets_->Seed("database", R"({"password":"planted-field-Lm5"})"), IsOk());
  }

  void TearDown() override {
    for (const std::string& text : {logs_.Text(), err_.str()}) {
      EXPECT_THAT(text, Not(HasSubstr(kPlantedOld)));
      EXPECT_THAT(text, Not(HasSubstr(kPlantedNew)));
      EXPECT_THAT(text, Not(HasSubstr("planted-field")));
    }
  }

  testing::LogCapture logs_;
  std::unique_ptr<testing::InMemorySecrets> secrets_;
  testing::InMemoryProvider* provider_ = nullptr;  // owned by secrets_
  SecretsManager* manager_ = nullptr;              // owned by secrets_
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST(ExitCodeTest, MapsErrorCodes) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kInvalidArgument), 2);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kNotFound), 3);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kPermissionDenied), 4);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnauthenticated), 4);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnavailable), 5);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kThrottled), 5);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kDeadlineExceeded), 5);
  for (ErrorCode code :
       {ErrorCode::kInternal, ErrorCode::kDataLoss, ErrorCode::kAlreadyExists,
        ErrorCode::kFailedPrecondition, ErrorCode::kAborted, ErrorCode::kUnimplemented}) {
    EXPECT_EQ(ExitCodeFor(code), 1) << ErrorCodeName(code);
  }
}

TEST(ExitCodeTest, ReportErrorPrintsOneLine) {
  std::ostringstream err;
  EXPECT_EQ(ReportError(MakeError(ErrorCode::kNotFound, "secret 'x' not found"), err), 3);
  EXPECT_EQ(err.str(), "locksmith: secret 'x' not found\n");
}

// --- reading put's value -------------------------------------------------------------------

class ReadSecretTest : public ::testing::Test {
 protected:
  Result<SecretValue> ReadFrom(std::string_view content) {
    auto path = dir_.path() / "input";
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    int fd = ::open(path.c_str(), O_RDONLY);
    auto result = ReadSecretFromFd(fd);
    ::close(fd);
    return result;
  }
  testing::TempDir dir_;
};

TEST_F(ReadSecretTest, DropsExactlyOneTrailingNewline) {
  auto plain = ReadFrom("value");
  ASSERT_THAT(plain, IsOk());
  EXPECT_TRUE(plain->Equals("value"));
  auto lf = ReadFrom("value\n");
  ASSERT_THAT(lf, IsOk());
  EXPECT_TRUE(lf->Equals("value"));
  auto crlf = ReadFrom("value\r\n");
  ASSERT_THAT(crlf, IsOk());
  EXPECT_TRUE(crlf->Equals("value"));
  auto two = ReadFrom("line1\nline2\n\n");
  ASSERT_THAT(two, IsOk());
  EXPECT_TRUE(two->Equals("line1\nline2\n"));
}

TEST_F(ReadSecretTest, RejectsEmptyAndOversizeValues) {
  EXPECT_THAT(ReadFrom(""), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ReadFrom("\n"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ReadFrom(std::string(64 * 1024 + 1, 'a')), HasError(ErrorCode::kInvalidArgument));
  auto max = ReadFrom(std::string(64 * 1024, 'a'));
  ASSERT_THAT(max, IsOk());
  EXPECT_EQ(max->size(), 64u * 1024);
}

TEST_F(ReadSecretTest, ReadErrorIsReported) {
  EXPECT_THAT(ReadSecretFromFd(-1), HasError(ErrorCode::kUnavailable));
}

// --- get -----------------------------------------------------------------------------------

TEST_F(CommandsTest, GetPrintsTheCurrentValue) {
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "", "", false), out_), IsOk());
  EXPECT_EQ(out_.str(), std::string(kPlantedNew) + "\n");
}

TEST_F(CommandsTest, GetByStageAndVersion) {
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "previous", "", false), out_),
              IsOk());
  EXPECT_EQ(out_.str(), std::string(kPlantedOld) + "\n");
  std::ostringstream by_id;
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "", "v1", false), by_id), IsOk());
  EXPECT_EQ(by_id.str(), std::string(kPlantedOld) + "\n");
  std::ostringstream both;
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "AWSCURRENT", "v2", false), both),
              IsOk());
  EXPECT_EQ(both.str(), std::string(kPlantedNew) + "\n");
}

TEST_F(CommandsTest, GetErrors) {
  EXPECT_THAT(GetCommand(*manager_, Opts("database-password", "latest", "", false), out_),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(GetCommand(*manager_, Opts("database-password", "current", "v1", false), out_),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(GetCommand(*manager_, Opts("missing", "", "", false), out_),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(GetCommand(*manager_, Opts("database-password", "pending", "", false), out_),
              HasError(ErrorCode::kNotFound));
  provider_->Fail(ErrorCode::kUnavailable);
  EXPECT_THAT(GetCommand(*manager_, Opts("other", "", "", false), out_),
              HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, GetJson) {
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "", "", true), out_), IsOk());
  json doc = json::parse(out_.str());
  EXPECT_EQ(doc["Name"], "database-password");
  EXPECT_EQ(doc["VersionId"], "v2");
  EXPECT_EQ(doc["VersionStages"], json::array({"AWSCURRENT"}));
  EXPECT_TRUE(doc["CreatedDate"].is_number());
  EXPECT_EQ(doc["SecretString"], std::string(kPlantedNew));
  EXPECT_FALSE(doc.contains("ARN"));
}

TEST_F(CommandsTest, GetField) {
  ASSERT_THAT(GetCommand(*manager_, Opts("database#password", "", "", false), out_), IsOk());
  EXPECT_EQ(out_.str(), "planted-field-Lm5\n");
}

// --- put and rotate -----------------------------------------------------------------------

TEST_F(CommandsTest, PutStoresANewCurrentVersionAndPrintsItsId) {
  ASSERT_THAT(PutCommand(*manager_, "api-key", SecretValue("planted-new-value-Hq27x"), out_),
              IsOk());
  EXPECT_THAT(out_.str(), Not(HasSubstr("planted")));
  std::string id = out_.str();
  ASSERT_FALSE(id.empty());
  id.pop_back();
  auto stored = provider_->Get("api-key", VersionSelector::Current());
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->value.Equals("planted-new-value-Hq27x"));
  EXPECT_EQ(stored->version.version_id, id);
}

TEST_F(CommandsTest, PutErrors) {
  EXPECT_THAT(PutCommand(*manager_, "bad name!", SecretValue("v"), out_),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PutCommand(*manager_, "ok", SecretValue(""), out_),
              HasError(ErrorCode::kInvalidArgument));
  provider_->Fail(ErrorCode::kPermissionDenied);
  EXPECT_THAT(PutCommand(*manager_, "ok", SecretValue("v"), out_),
              HasError(ErrorCode::kPermissionDenied));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, RotateMakesAFreshCurrentVersion) {
  ASSERT_THAT(RotateCommand(*manager_, "database-password", kDefaultRotateBytes, out_), IsOk());
  std::string id = out_.str();
  ASSERT_FALSE(id.empty());
  id.pop_back();
  auto current = provider_->Get("database-password", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->version.version_id, id);
  EXPECT_EQ(current->value.size(), 44u);  // base64 of 32 bytes
  EXPECT_THAT(out_.str(), Not(HasSubstr(current->value.RevealUnsafe())));
  auto previous = provider_->Get("database-password", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals(kPlantedNew));
}

TEST_F(CommandsTest, RotateWithoutPendingStageAndErrors) {
  provider_->DisablePending();
  ASSERT_THAT(RotateCommand(*manager_, "new-secret", 16, out_), IsOk());
  auto current = provider_->Get("new-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->value.size(), 24u);  // base64 of 16 bytes

  EXPECT_THAT(RotateCommand(*manager_, "x", 0, out_), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(RotateCommand(*manager_, "/bad", 32, out_), HasError(ErrorCode::kInvalidArgument));
  secrets_->random().FailFill(true);
  EXPECT_THAT(RotateCommand(*manager_, "x", 32, out_), HasError(ErrorCode::kInternal));
}

// --- list, describe, status ---------------------------------------------------------------

TEST_F(CommandsTest, ListPrintsNamesOnePerLine) {
  ASSERT_THAT(ListCommand(*manager_, "", out_), IsOk());
  EXPECT_EQ(out_.str(), "database\ndatabase-password\n");
  std::ostringstream prefixed;
  ASSERT_THAT(ListCommand(*manager_, "database-", prefixed), IsOk());
  EXPECT_EQ(prefixed.str(), "database-password\n");
  std::ostringstream none;
  ASSERT_THAT(ListCommand(*manager_, "zzz", none), IsOk());
  EXPECT_EQ(none.str(), "");
  provider_->Fail(ErrorCode::kUnauthenticated);
  EXPECT_THAT(ListCommand(*manager_, "", out_), HasError(ErrorCode::kUnauthenticated));
}

TEST_F(CommandsTest, DescribeShowsVersionsNeverValues) {
  ASSERT_THAT(DescribeCommand(*manager_, "database-password", false, out_), IsOk());
  std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("database-password"));
  EXPECT_THAT(text, HasSubstr("v2  AWSCURRENT  2026-01-01T00:00:00Z"));
  EXPECT_THAT(text, HasSubstr("v1  AWSPREVIOUS"));
  EXPECT_THAT(text, HasSubstr("last rotated"));
  EXPECT_THAT(text, Not(HasSubstr("planted")));
}

TEST_F(CommandsTest, DescribeJson) {
  ASSERT_THAT(DescribeCommand(*manager_, "database-password", true, out_), IsOk());
  json doc = json::parse(out_.str());
  EXPECT_EQ(doc["Name"], "database-password");
  EXPECT_EQ(doc["VersionIdsToStages"]["v2"], json::array({"AWSCURRENT"}));
  EXPECT_EQ(doc["VersionIdsToStages"]["v1"], json::array({"AWSPREVIOUS"}));
  ASSERT_EQ(doc["Versions"].size(), 2u);
  EXPECT_EQ(doc["Versions"][0]["VersionId"], "v2");
  EXPECT_TRUE(doc["Versions"][0]["CreatedDate"].is_number());
  EXPECT_THAT(out_.str(), Not(HasSubstr("planted")));
}

TEST_F(CommandsTest, DescribeMissingIsNotFound) {
  EXPECT_THAT(DescribeCommand(*manager_, "missing", false, out_), HasError(ErrorCode::kNotFound));
}

TEST_F(CommandsTest, StatusReportsBackendAndCache) {
  ASSERT_THAT(GetCommand(*manager_, Opts("database-password", "", "", false), out_), IsOk());
  std::ostringstream status;
  ASSERT_THAT(StatusCommand(*manager_, false, status), IsOk());
  EXPECT_THAT(status.str(), HasSubstr("backend:   local"));
  EXPECT_THAT(status.str(), HasSubstr("reachable: yes (2 secrets)"));
  EXPECT_THAT(status.str(), HasSubstr("breaker:   closed"));
  EXPECT_THAT(status.str(), HasSubstr("1 entries"));

  std::ostringstream as_json;
  ASSERT_THAT(StatusCommand(*manager_, true, as_json), IsOk());
  json doc = json::parse(as_json.str());
  EXPECT_EQ(doc["backend"], "local");
  EXPECT_EQ(doc["reachable"], true);
  EXPECT_EQ(doc["breaker"], "closed");
  EXPECT_EQ(doc["cache"]["entries"], 1);
}

TEST_F(CommandsTest, StatusFailsWhenUnreachable) {
  provider_->Fail(ErrorCode::kUnavailable);
  EXPECT_THAT(StatusCommand(*manager_, false, out_), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(out_.str(), HasSubstr("reachable: no (UNAVAILABLE)"));
  std::ostringstream as_json;
  EXPECT_THAT(StatusCommand(*manager_, true, as_json), HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(json::parse(as_json.str())["reachable"], false);
}

// --- seeding -------------------------------------------------------------------------------

class SeedTest : public ::testing::Test {
 protected:
  testing::LogCapture logs_;
};

TEST_F(SeedTest, SeedsAnEmptyLocalStoreOutsideProduction) {
  testing::InMemorySecrets secrets("local");
  testing::InMemoryProvider& provider = secrets.provider();
  auto seeded = SeedDevelopmentSecrets(secrets.manager(), "development");
  ASSERT_THAT(seeded, IsOk());
  EXPECT_EQ(*seeded,
            (std::vector<std::string>{"db-encryption-key", "jwt-secret", "database-password",
                                      "redis-password", "alchemy-api-key"}));
  auto key = provider.Get("db-encryption-key", VersionSelector::Current());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->value.size(), 44u);  // base64 of 32 bytes
  auto jwt = provider.Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->value.size(), 88u);  // base64 of 64 bytes

  std::string logs = logs_.Text();
  EXPECT_THAT(logs, HasSubstr("seeded 5 development secrets: db-encryption-key, jwt-secret"));
  EXPECT_THAT(logs, Not(HasSubstr(key->value.RevealUnsafe())));
  EXPECT_THAT(logs, Not(HasSubstr(jwt->value.RevealUnsafe())));

  // A second run finds the store non-empty.
  auto again = SeedDevelopmentSecrets(secrets.manager(), "");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->empty());
}

TEST_F(SeedTest, LeavesProductionOtherBackendsAndFilledStoresAlone) {
  testing::InMemorySecrets production("local");
  auto seeded = SeedDevelopmentSecrets(production.manager(), "production");
  ASSERT_THAT(seeded, IsOk());
  EXPECT_TRUE(seeded->empty());
  EXPECT_TRUE(production.provider().List("")->empty());

  testing::InMemorySecrets vault("vault");
  seeded = SeedDevelopmentSecrets(vault.manager(), "development");
  ASSERT_THAT(seeded, IsOk());
  EXPECT_TRUE(seeded->empty());
  EXPECT_EQ(vault.provider().calls(), 0);

  testing::InMemorySecrets filled("local");
  ASSERT_THAT(filled.Seed("mine", "x"), IsOk());
  seeded = SeedDevelopmentSecrets(filled.manager(), "development");
  ASSERT_THAT(seeded, IsOk());
  EXPECT_TRUE(seeded->empty());
  EXPECT_EQ(*filled.provider().List(""), std::vector<std::string>{"mine"});
}

TEST_F(SeedTest, PropagatesErrors) {
  testing::InMemorySecrets failing("local");
  failing.provider().Fail(ErrorCode::kUnavailable);
  EXPECT_THAT(SeedDevelopmentSecrets(failing.manager(), ""), HasError(ErrorCode::kUnavailable));
  testing::InMemorySecrets ok("local");
  ok.random().FailFill(true);
  EXPECT_THAT(SeedDevelopmentSecrets(ok.manager(), ""), HasError(ErrorCode::kInternal));
}

// --- listen addresses and agent options ---------------------------------------------------

TEST(ParseListenAddressTest, AcceptsHostPortForms) {
  auto v4 = ParseListenAddress("127.0.0.1:2773");
  ASSERT_THAT(v4, IsOk());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 2773);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_THAT(v6, IsOk());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  auto bare = ParseListenAddress(":8080");
  ASSERT_THAT(bare, IsOk());
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 8080);
}

TEST(ParseListenAddressTest, RejectsMalformedAddresses) {
  for (std::string_view bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:65536",
                               "127.0.0.1:-1", "::1:2773", "[::1:2773", "[]:1", "h:12a"}) {
    EXPECT_THAT(ParseListenAddress(bad), HasError(ErrorCode::kInvalidArgument)) << bad;
  }
}

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

TEST(AgentCommandOptionsTest, ReadsTheEnvironment) {
  Config config;
  config.local.store_path = "/data/locksmith/secrets.db";
  auto options =
      AgentCommandOptionsFromEnv(config, FakeEnv({{"LOCKSMITH_AGENT_TOKEN", "file:///run/token"},
                                                  {"LOCKSMITH_AGENT_LISTEN", "127.0.0.1:9000"},
                                                  {"APP_ENV", "staging"}}));
  ASSERT_TRUE(options.token_spec.has_value());
  EXPECT_TRUE(options.token_spec->Equals("file:///run/token"));
  EXPECT_EQ(options.listen, "127.0.0.1:9000");
  EXPECT_EQ(options.app_env, "staging");
  EXPECT_EQ(options.token_file, "/data/locksmith/agent.token");

  auto defaults = AgentCommandOptionsFromEnv(config, FakeEnv({}));
  EXPECT_FALSE(defaults.token_spec.has_value());
  EXPECT_EQ(defaults.listen, "127.0.0.1:2773");
  EXPECT_EQ(defaults.app_env, "");
}

}  // namespace
}  // namespace locksmith
