// `locksmith check` (CheckCommand) against a real SecretsManager over an in-memory provider with a
// fake clock: each item ok and FAIL, the JSON shape, and no planted value in anything printed.
#include "cli/check_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/crypto.h"
#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using json = nlohmann::json;
using std::chrono::hours;

constexpr std::string_view kPlantedJwt = "planted-jwt-value-Qz81xv";
constexpr std::string_view kPlantedKey = "planted-key-value-Wm47pc";
constexpr std::string_view kPlantedDotenv = "planted-dotenv-value-Rb62";
constexpr std::string_view kPlantedEnv = "planted-environ-value-Hx93";
constexpr std::string_view kPlantedField = "planted-field-Nc55kd";
constexpr auto kDay = hours(24);

// An in-memory provider whose least-privilege probes the test sets.
class ProbedProvider : public testing::InMemoryProvider {
 public:
  using InMemoryProvider::InMemoryProvider;
  Result<PrivilegeProbeList> ProbeLeastPrivilege() override { return probes; }
  Result<PrivilegeProbeList> probes = PrivilegeProbeList{};
};

class CheckCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Build("local");
    config_.dotenv.file = dir_.path() / "absent.env";
  }

  void Build(std::string kind) {
    secrets_ = std::make_unique<testing::InMemorySecrets>(std::move(kind));
    manager_ = &secrets_->manager();
    clock_ = &secrets_->clock();
    ASSERT_THAT(secrets_->Seed("jwt-secret", kPlantedJwt), IsOk());
    ASSERT_THAT(secrets_->Seed("db-encryption-key", kPlantedKey), IsOk());
  }

  void TearDown() override {
    for (std::string_view planted :
         {kPlantedJwt, kPlantedKey, kPlantedDotenv, kPlantedEnv, kPlantedField}) {
      EXPECT_THAT(out_.str(), Not(HasSubstr(planted)));
      SecretValue value(planted);
      EXPECT_THAT(
          out_.str(),
          Not(HasSubstr(internal::Base64EncodeSecret(value.RevealBytesUnsafe()).RevealUnsafe())));
    }
  }

  Result<void> Run(const CheckOptions& options) {
    EnvLookup env = env_.Lookup();
    return CheckCommand({*manager_, config_, env, *clock_}, options, out_);
  }

  // The item named `name` from a --json run.
  json Item(const std::string& name) {
    json doc = json::parse(out_.str());
    for (const json& item : doc) {
      if (item["item"] == name) {
        return item;
      }
    }
    ADD_FAILURE() << "no item " << name << " in " << out_.str();
    return json::object();
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::InMemorySecrets> secrets_;
  SecretsManager* manager_ = nullptr;
  testing::FakeClock* clock_ = nullptr;
  Config config_;
  testing::FakeEnv env_;
  std::ostringstream out_;
};

TEST_F(CheckCommandTest, EveryItemOkPrintsOneLineEach) {
  const std::string log = WriteFile("app.log", "started\nlistening on :8080\n");
  EXPECT_THAT(Run({.scan_logs = {log}}), IsOk());
  const std::string text = out_.str();
  EXPECT_THAT(text, HasSubstr("ok    env-secrets      no critical secret in the environment"));
  EXPECT_THAT(text, HasSubstr("skip  least-privilege  the embedded store is one user's file"));
  EXPECT_THAT(text, HasSubstr("ok    secret-age       db-encryption-key 0d old (max 365d), "
                              "jwt-secret 0d old (max 90d)"));
  EXPECT_THAT(text, HasSubstr("ok    cache-ttl        LOCKSMITH_CACHE_TTL is 5m"));
  EXPECT_THAT(text, HasSubstr("ok    backend          local reachable (2 secrets), circuit "
                              "breaker closed"));
  EXPECT_THAT(text, HasSubstr("ok    log-scan         " + log + ": no current value"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 6);
}

TEST_F(CheckCommandTest, JsonIsAnArrayOfItemStatusDetail) {
  config_.manager.cache.ttl = std::chrono::minutes(1);
  auto result = Run({.json = true});
  EXPECT_THAT(result, HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(result.error().message, HasSubstr("1 of 5 items failed"));
  json doc = json::parse(out_.str());
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 5u);
  for (const json& item : doc) {
    ASSERT_EQ(item.size(), 3u) << item;
    EXPECT_TRUE(item["item"].is_string());
    EXPECT_TRUE(item["detail"].is_string());
    EXPECT_THAT(item["status"].get<std::string>(), ::testing::AnyOf("ok", "fail", "skip", "warn"));
  }
  EXPECT_EQ(doc[0]["item"], "env-secrets");
  EXPECT_EQ(doc[3]["item"], "cache-ttl");
  EXPECT_EQ(doc[3]["status"], "fail");
}

TEST_F(CheckCommandTest, EnvFileSecretNamedByVariableAndLineNeverValue) {
  const std::string env_file = WriteFile(
      ".env", "# settings\nAPP_ENV=production\nDB_PASSWORD=" + std::string(kPlantedDotenv) +
                  "\nJWT_SECRET=\nexport redis_password='" + std::string(kPlantedDotenv) + "'\n");
  EXPECT_THAT(Run({.env_file = env_file, .json = true}), HasError(ErrorCode::kFailedPrecondition));
  json item = Item("env-secrets");
  EXPECT_EQ(item["status"], "fail");
  const std::string detail = item["detail"];
  EXPECT_THAT(detail, HasSubstr("DB_PASSWORD (database-password) at " + env_file + ":3"));
  EXPECT_THAT(detail, HasSubstr("redis_password (redis-password) at " + env_file + ":5"));
  EXPECT_THAT(detail, Not(HasSubstr("JWT_SECRET")));  // empty: a placeholder
  EXPECT_THAT(detail, Not(HasSubstr("APP_ENV")));
}

TEST_F(CheckCommandTest, DefaultEnvFileIsTheDotenvBackEndsFile) {
  config_.dotenv.file = WriteFile("service.env", "JWT_SECRET_KEY=" + std::string(kPlantedDotenv));
  EXPECT_THAT(Run({.json = true}), HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(Item("env-secrets")["detail"].get<std::string>(),
              HasSubstr("JWT_SECRET_KEY (jwt-secret) at " + config_.dotenv.file.string() + ":1"));
}

TEST_F(CheckCommandTest, EnvironmentSecretIsNamedNeverItsValue) {
  env_.Set("JWT_SECRET", std::string(kPlantedEnv)).Set("MY_TOKEN", std::string(kPlantedEnv));
  env_.Set("REDIS_PASSWORD", "");
  EXPECT_THAT(Run({.secrets = {"my-token"}, .json = true}),
              HasError(ErrorCode::kFailedPrecondition));
  const std::string detail = Item("env-secrets")["detail"];
  EXPECT_THAT(detail, HasSubstr("JWT_SECRET (jwt-secret) in the environment"));
  EXPECT_THAT(detail, HasSubstr("MY_TOKEN (my-token) in the environment"));
  EXPECT_THAT(detail, Not(HasSubstr("REDIS_PASSWORD")));
}

TEST_F(CheckCommandTest, UnparsableEnvFileFailsNamingTheLine) {
  const std::string env_file =
      WriteFile(".env", "A=1\nDB_PASSWORD=\"" + std::string(kPlantedDotenv) + "\n");
  EXPECT_THAT(Run({.env_file = env_file, .json = true}), HasError(ErrorCode::kFailedPrecondition));
  json item = Item("env-secrets");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr(env_file + ":2"));
}

TEST_F(CheckCommandTest, MissingExplicitEnvFileIsAUsageError) {
  EXPECT_THAT(Run({.env_file = (dir_.path() / "nope.env").string()}),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(CheckCommandTest, DotenvBackEndFailsByDesign) {
  Build("dotenv");
  EXPECT_THAT(Run({.json = true}), HasError(ErrorCode::kFailedPrecondition));
  json item = Item("env-secrets");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("development only"));
}

TEST_F(CheckCommandTest, SecretPastItsScheduleFails) {
  clock_->Advance(91 * kDay);
  EXPECT_THAT(Run({.json = true}), HasError(ErrorCode::kFailedPrecondition));
  json item = Item("secret-age");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_THAT(item["detail"].get<std::string>(),
              HasSubstr("past their rotation schedule: jwt-secret 91d old (max 90d)"));
  EXPECT_THAT(item["detail"].get<std::string>(), Not(HasSubstr("db-encryption-key")));
}

TEST_F(CheckCommandTest, ExactlyAtTheScheduleIsStillOk) {
  clock_->Advance(90 * kDay);
  EXPECT_THAT(Run({.json = true}), IsOk());
  EXPECT_EQ(Item("secret-age")["status"], "ok");
}

TEST_F(CheckCommandTest, MaxAgeOverridesTheSchedule) {
  clock_->Advance(91 * kDay);
  EXPECT_THAT(Run({.max_ages = {"jwt-secret=120d"}, .json = true}), IsOk());
  out_.str("");
  EXPECT_THAT(Run({.max_ages = {"db-encryption-key=30d"}, .json = true}),
              HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(Item("secret-age")["detail"].get<std::string>(),
              HasSubstr("db-encryption-key 91d old (max 30d)"));
}

TEST_F(CheckCommandTest, MalformedOptionsAreUsageErrors) {
  for (std::string spec : {"jwt-secret", "jwt-secret=soon", "jwt-secret=0s", "=90d"}) {
    EXPECT_THAT(Run({.max_ages = {spec}}), HasError(ErrorCode::kInvalidArgument)) << spec;
  }
  EXPECT_THAT(Run({.secrets = {"bad name"}}), HasError(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CheckCommandTest, NamedSecretThatIsMissingFails) {
  EXPECT_THAT(Run({.secrets = {"rpc/absent-key"}, .json = true}),
              HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(Item("secret-age")["detail"].get<std::string>(),
              HasSubstr("cannot tell the age of: rpc/absent-key (NOT_FOUND)"));
}

TEST_F(CheckCommandTest, NoSecretStoredSkipsTheAgeItem) {
  secrets_ = std::make_unique<testing::InMemorySecrets>();
  manager_ = &secrets_->manager();
  clock_ = &secrets_->clock();
  EXPECT_THAT(Run({.json = true}), IsOk());
  EXPECT_EQ(Item("secret-age")["status"], "skip");
}

TEST_F(CheckCommandTest, CacheTtlOutsideFiveToTenMinutesFails) {
  for (auto [ttl, status] :
       {std::pair{std::chrono::minutes(4), "fail"}, std::pair{std::chrono::minutes(5), "ok"},
        std::pair{std::chrono::minutes(10), "ok"}, std::pair{std::chrono::minutes(11), "fail"}}) {
    config_.manager.cache.ttl = ttl;
    out_.str("");
    (void)Run({.json = true});
    EXPECT_EQ(Item("cache-ttl")["status"], status) << ttl.count();
  }
}

TEST_F(CheckCommandTest, UnreachableBackEndFails) {
  secrets_->provider().Fail(ErrorCode::kUnavailable);
  EXPECT_THAT(Run({.json = true}), HasError(ErrorCode::kFailedPrecondition));
  json item = Item("backend");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("local unreachable"));
  // The failed calls before it opened the breaker (threshold 3), which the item reports too.
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("circuit breaker open"));
}

TEST_F(CheckCommandTest, LogHoldingValuesFailsWithLineNumbersOnly) {
  ASSERT_THAT(secrets_->Seed("database", R"({"user":"app","password":")" +
                                             std::string(kPlantedField) + R"("})"),
              IsOk());
  SecretValue jwt(kPlantedJwt);
  const std::string b64(internal::Base64EncodeSecret(jwt.RevealBytesUnsafe()).RevealUnsafe());
  std::string content = "a\nb\nc\nd\ntoken=" + std::string(kPlantedJwt) + "\nf\ng\nh\n" + b64 +
                        "\nj\nk\nuser app password " + std::string(kPlantedField) + "\n";
  // A value split across the scanner's 64 KiB chunks, on a 100 KiB line.
  std::string long_line(64 * 1024 - 5 - content.size(), 'x');
  content += long_line + std::string(kPlantedKey) + std::string(40 * 1024, 'y') + "\nend\n";
  const std::string log = WriteFile("app.log", content);
  EXPECT_THAT(Run({.secrets = {"database"}, .scan_logs = {log}, .json = true}),
              HasError(ErrorCode::kFailedPrecondition));
  json item = Item("log-scan");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_EQ(item["detail"], log +
                                ": a current secret value at lines 5, 9, 12, 13 (rotate "
                                "database, db-encryption-key, jwt-secret, then purge the log)");
}

TEST_F(CheckCommandTest, EachLogIsItsOwnItemAndAnUnreadableOneFails) {
  const std::string clean = WriteFile("clean.log", "nothing here\n");
  const std::string missing = (dir_.path() / "missing.log").string();
  EXPECT_THAT(Run({.scan_logs = {clean, missing}, .json = true}),
              HasError(ErrorCode::kFailedPrecondition));
  json doc = json::parse(out_.str());
  ASSERT_EQ(doc.size(), 7u);
  EXPECT_EQ(doc[5]["status"], "ok");
  EXPECT_EQ(doc[6]["status"], "fail");
  EXPECT_THAT(doc[6]["detail"].get<std::string>(), HasSubstr("cannot read " + missing));
}

TEST(CheckNeedlesTest, ShortJsonFieldsAreNotNeedles) {
  auto needles = NeedlesFor("db", SecretValue(R"({"user":"app","password":"long-enough-1"})"));
  std::vector<std::string> texts;
  for (const LogNeedle& n : needles) {
    texts.emplace_back(n.text.RevealUnsafe());
    EXPECT_EQ(n.secret, "db");
  }
  EXPECT_THAT(texts, ::testing::Contains("long-enough-1"));
  EXPECT_THAT(texts, Not(::testing::Contains("app")));
  EXPECT_EQ(texts.size(), 3u);  // the document, its base64, the password
}

class CheckPrivilegeTest : public ::testing::Test {
 protected:
  CheckPrivilegeTest() {
    auto provider = std::make_unique<ProbedProvider>(clock_, "vault");
    provider_ = provider.get();
    auto manager = SecretsManager::Create(
        std::move(provider),
        {.options = testing::InMemorySecrets::DefaultOptions(), .clock = &clock_});
    manager_ = std::move(manager).value();
  }

  testing::FakeClock clock_;
  ProbedProvider* provider_ = nullptr;
  SecretsManagerPtr manager_;
};

TEST_F(CheckPrivilegeTest, AllDeniedIsOk) {
  provider_->probes = PrivilegeProbeList{{"write", "secret/data/app/probe", false, false, "deny"},
                                         {"list", "secret/metadata/", false, false, "deny"}};
  CheckItem item = CheckLeastPrivilege(*manager_);
  EXPECT_EQ(item.status, CheckStatus::kOk);
  EXPECT_EQ(item.detail,
            "denied outside the prefix: write secret/data/app/probe, list secret/metadata/");
}

TEST_F(CheckPrivilegeTest, AnyAllowedFailsNamingItsTarget) {
  provider_->probes =
      PrivilegeProbeList{{"write", "secret/data/app/probe", true, false, "capabilities: create"},
                         {"list", "secret/metadata/", false, false, "deny"}};
  CheckItem item = CheckLeastPrivilege(*manager_);
  EXPECT_EQ(item.status, CheckStatus::kFail);
  EXPECT_THAT(item.detail, HasSubstr("write secret/data/app/probe (capabilities: create)"));
}

TEST_F(CheckPrivilegeTest, AdvisoryFindingWarnsWithoutFailing) {
  provider_->probes = PrivilegeProbeList{{"write", "app/probe", false, false, "denied"},
                                         {"list", "*", true, true, "ListSecrets is allowed"}};
  CheckItem item = CheckLeastPrivilege(*manager_);
  EXPECT_EQ(item.status, CheckStatus::kWarn);
  EXPECT_THAT(item.detail, HasSubstr("ListSecrets is allowed"));
}

TEST_F(CheckPrivilegeTest, ProbeRefusedSkipsAndOtherErrorsFail) {
  provider_->probes = MakeError(ErrorCode::kPermissionDenied, "permission denied");
  EXPECT_EQ(CheckLeastPrivilege(*manager_).status, CheckStatus::kSkip);
  provider_->probes = MakeError(ErrorCode::kUnavailable, "connection refused");
  CheckItem item = CheckLeastPrivilege(*manager_);
  EXPECT_EQ(item.status, CheckStatus::kFail);
  EXPECT_THAT(item.detail, HasSubstr("cannot probe: connection refused"));
}

}  // namespace
}  // namespace locksmith
