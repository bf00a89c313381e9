// The real `locksmith` program and agent with SECRETS_BACKEND=aws, against
// tests/servers/aws_server.py (SigV4-verifying) over real sockets: stages and versions, JSON
// fields, rotation, pagination, status, the agent (a rotation seen without a restart), exit codes
// for every kind of failure, credentials from the environment (with a session token) and from a
// profile file. AwsLeakTest plants a secret access key, a session token and secret values, drives
// every command (failures, --help and the agent included) and scans everything printed: a
// planted value may appear only in `get`'s own stdout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/agent_process.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "locksmith/aws_provider.h"
#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "providers/aws/aws_test_server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using json = nlohmann::json;
using testing::AgentProcess;
using testing::AwsTestServer;
using testing::ChildProcess;
using testing::kAwsTestAccessKey;
using testing::kAwsTestSecretKey;
using testing::ProcessResult;
using testing::ReadFirstLine;

constexpr char kCli[] = LOCKSMITH_CLI_PATH;
constexpr char kPrefix[] = "agentauri-backend/production";
constexpr char kRegion[] = "eu-west-1";

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "aws test server did not start"; }

  std::vector<std::string> Env() const {
    std::vector<std::string> env = {
        "HOME=" + dir_.path().string(),
        "SECRETS_BACKEND=aws",
        std::string("AWS_REGION=") + kRegion,
        "AWS_ENDPOINT_URL=" + server_.url(),
        std::string("AWS_SECRETS_PREFIX=") + kPrefix,
        "AWS_EC2_METADATA_DISABLED=true",
        "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
        // Real time in a child process: keep backoff short.
        "LOCKSMITH_RETRY_BASE_DELAY=5ms",
        "LOCKSMITH_RETRY_MAX_DELAY=20ms",
    };
    if (!access_key_.empty()) {
      env.push_back("AWS_ACCESS_KEY_ID=" + access_key_);
      env.push_back("AWS_SECRET_ACCESS_KEY=" + secret_key_);
    }
    if (!session_token_.empty()) {
      env.push_back("AWS_SESSION_TOKEN=" + session_token_);
    }
    // extra_env_ wins: a variable set there replaces the one above.
    for (const std::string& extra : extra_env_) {
      const std::string name = extra.substr(0, extra.find('=') + 1);
      std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
      env.push_back(extra);
    }
    return env;
  }

  ProcessResult Run(std::vector<std::string> args, std::optional<std::string> input = {}) {
    args.insert(args.begin(), kCli);
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    ProcessResult result = child.Finish();
    captured_.push_back(result.err);
    return result;
  }
  ProcessResult RunClean(std::vector<std::string> args, std::optional<std::string> input = {}) {
    ProcessResult result = Run(std::move(args), std::move(input));
    captured_.push_back(result.out);
    return result;
  }

  // Registers temporary credentials (with a session token) at the test server.
  void AddSessionCredentials(const std::string& key, const std::string& secret,
                             const std::string& token, json allow = nullptr) {
    json body = {{"access_key", key}, {"secret_key", secret}, {"token", token}};
    if (!allow.is_null()) {
      body["allow"] = std::move(allow);
    }
    server_.Control("POST", "/_test/credentials", body);
  }

  // Writes secrets straight through the library (faster than one process per secret).
  void Seed(const std::vector<std::pair<std::string, std::string>>& secrets) {
    AwsOptions options;
    options.region = kRegion;
    options.endpoint_url = server_.url();
    options.prefix = kPrefix;
    EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
      if (name == "AWS_ACCESS_KEY_ID") {
        return kAwsTestAccessKey;
      }
      if (name == "AWS_SECRET_ACCESS_KEY") {
        return kAwsTestSecretKey;
      }
      if (name == "AWS_EC2_METADATA_DISABLED") {
        return "true";
      }
      return std::nullopt;
    };
    auto provider = CreateAwsProvider(std::move(options), env, SystemClock(), SystemRandom());
    ASSERT_TRUE(provider.ok()) << provider.error().message;
    for (const auto& [name, value] : secrets) {
      auto put = (*provider)->Put(name, SecretValue(value), Stage::kCurrent);
      ASSERT_TRUE(put.ok()) << name << ": " << put.error().message;
    }
  }

  AwsTestServer server_;
  testing::TempDir dir_;
  std::string access_key_ = kAwsTestAccessKey;
  std::string secret_key_ = kAwsTestSecretKey;
  std::string session_token_;
  std::vector<std::string> extra_env_;
  std::vector<std::string> captured_;  // everything that must be free of planted values
};

std::string Line(const std::string& out) { return out.substr(0, out.find('\n')); }

TEST_F(AwsCliTest, PutGetRotateListDescribeStatus) {
  ProcessResult put = RunClean({"put", "jwt-secret"}, "first-value\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string v1 = Line(put.out);
  EXPECT_THAT(v1, MatchesRegex("[0-9a-f-]{36}"));
  ProcessResult put2 = RunClean({"put", "jwt-secret"}, "second-value");
  ASSERT_EQ(put2.exit_code, 0) << put2.err;
  const std::string v2 = Line(put2.out);
  EXPECT_NE(v1, v2);

  ProcessResult get = Run({"get", "jwt-secret"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "second-value\n");
  ProcessResult previous = Run({"get", "jwt-secret", "--stage", "previous"});
  ASSERT_EQ(previous.exit_code, 0) << previous.err;
  EXPECT_EQ(previous.out, "first-value\n");
  EXPECT_EQ(Run({"get", "jwt-secret", "--version", v1}).out, "first-value\n");
  ProcessResult as_json = Run({"get", "jwt-secret", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json doc = json::parse(as_json.out);
  EXPECT_EQ(doc["VersionId"], v2);
  EXPECT_EQ(doc["SecretString"], "second-value");
  EXPECT_THAT(doc["VersionStages"].dump(), HasSubstr("AWSCURRENT"));

  // A field of a JSON secret.
  ASSERT_EQ(
      RunClean({"put", "database"}, R"({"user":"app","password":"pw-123","port":5432})").exit_code,
      0);
  EXPECT_EQ(Run({"get", "database#password"}).out, "pw-123\n");
  EXPECT_EQ(Run({"get", "database#user"}).out, "app\n");
  EXPECT_EQ(RunClean({"get", "database#missing"}).exit_code, 3);

  // Rotation: a fresh value becomes AWSCURRENT, the old one AWSPREVIOUS.
  ProcessResult rotate = RunClean({"rotate", "jwt-secret", "--bytes", "48"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  const std::string v3 = Line(rotate.out);
  EXPECT_THAT(v3, MatchesRegex("[0-9a-f-]{36}"));
  ProcessResult rotated = Run({"get", "jwt-secret"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(rotated.out.size(), 64u + 1);
  EXPECT_EQ(Run({"get", "jwt-secret", "--stage", "previous"}).out, "second-value\n");
  EXPECT_EQ(json::parse(Run({"get", "jwt-secret", "--json"}).out)["VersionId"], v3);

  ProcessResult describe = RunClean({"describe", "jwt-secret"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr(v3 + "  AWSCURRENT"));
  EXPECT_THAT(describe.out, HasSubstr(v2 + "  AWSPREVIOUS"));
  EXPECT_THAT(describe.out, Not(HasSubstr("second-value")));
  ProcessResult describe_json = RunClean({"describe", "jwt-secret", "--json"});
  ASSERT_EQ(describe_json.exit_code, 0) << describe_json.err;
  // As in Secrets Manager, DescribeSecret lists only versions with a label: v1 has none now.
  json described = json::parse(describe_json.out);
  EXPECT_EQ(described["Versions"].size(), 2u);
  EXPECT_FALSE(described["VersionIdsToStages"].contains(v1));
  EXPECT_THAT(describe.out, Not(HasSubstr(v1)));

  ASSERT_EQ(RunClean({"put", "rpc/alchemy-api-key"}, "k").exit_code, 0);
  ProcessResult list = RunClean({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "database\njwt-secret\nrpc/alchemy-api-key\n");
  EXPECT_EQ(RunClean({"list", "rpc/"}).out, "rpc/alchemy-api-key\n");

  ProcessResult status = RunClean({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("backend:   aws"));
  EXPECT_THAT(status.out, HasSubstr("reachable: yes (3 secrets)"));
  ProcessResult status_json = RunClean({"status", "--json"});
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  json status_doc = json::parse(status_json.out);
  EXPECT_EQ(status_doc["backend"], "aws");
  EXPECT_EQ(status_doc["secrets"], 3);
  EXPECT_EQ(status_doc["details"]["aws endpoint"], server_.url());
  EXPECT_EQ(status_doc["details"]["aws region"], kRegion);
  EXPECT_EQ(status_doc["details"]["aws prefix"], kPrefix);
  EXPECT_EQ(status_doc["details"]["aws credentials"], "environment");
  EXPECT_THAT(status.out, HasSubstr(server_.url()));
  EXPECT_THAT(status_json.out, Not(HasSubstr(kAwsTestSecretKey)));
}

TEST_F(AwsCliTest, ListFollowsPagination) {
  // ListSecrets returns at most 100 per page: 105 secrets take two pages.
  std::vector<std::pair<std::string, std::string>> secrets;
  std::string expected;
  for (int i = 0; i < 105; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "svc/key-%03d", i);
    secrets.emplace_back(name, "v");
    expected += std::string(name) + "\n";
  }
  Seed(secrets);
  server_.Control("POST", "/_test/reset-stats");
  ProcessResult list = RunClean({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, expected);
  EXPECT_EQ(server_.OpCount("ListSecrets"), 2);
  EXPECT_EQ(RunClean({"list", "svc/key-10"}).out,
            "svc/key-100\nsvc/key-101\nsvc/key-102\nsvc/key-103\nsvc/key-104\n");
}

TEST_F(AwsCliTest, SessionTokenAndProfileCredentials) {
  Seed({{"jwt-secret", "v"}});
  // Temporary credentials from the environment, with their session token.
  AddSessionCredentials("ASIATEMPORARYKEY", "temporary-secret-key", "temporary-session-token");
  access_key_ = "ASIATEMPORARYKEY";
  secret_key_ = "temporary-secret-key";
  session_token_ = "temporary-session-token";
  ProcessResult with_token = Run({"get", "jwt-secret"});
  EXPECT_EQ(with_token.exit_code, 0) << with_token.err;
  EXPECT_EQ(with_token.out, "v\n");
  session_token_ = "wrong-session-token";
  EXPECT_EQ(RunClean({"get", "jwt-secret"}).exit_code, 4);
  session_token_.clear();
  EXPECT_EQ(RunClean({"get", "jwt-secret"}).exit_code, 4);

  // No credentials in the environment: the profile in AWS_SHARED_CREDENTIALS_FILE, the region
  // from AWS_CONFIG_FILE.
  access_key_.clear();
  session_token_.clear();
  const auto credentials = dir_.path() / "credentials";
  const auto config = dir_.path() / "config";
  std::ofstream(credentials) << "[default]\naws_access_key_id = AKIDNOTTHISONE\n"
                             << "aws_secret_access_key = nope\n\n[ops]\naws_access_key_id = "
                             << kAwsTestAccessKey
                             << "\naws_secret_access_key = " << kAwsTestSecretKey << "\n";
  std::ofstream(config) << "[profile ops]\nregion = us-west-2\n";
  extra_env_ = {"AWS_SHARED_CREDENTIALS_FILE=" + credentials.string(),
                "AWS_CONFIG_FILE=" + config.string(), "AWS_PROFILE=ops", "AWS_REGION="};
  ProcessResult from_profile = Run({"get", "jwt-secret"});
  EXPECT_EQ(from_profile.exit_code, 0) << from_profile.err;
  EXPECT_EQ(from_profile.out, "v\n");
  ProcessResult status = RunClean({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  json status_doc = json::parse(status.out);
  EXPECT_EQ(status_doc["details"]["aws region"], "us-west-2");
  EXPECT_EQ(status_doc["details"]["aws credentials"], "profile ops");
  // The default profile's key is unknown to the server: unauthenticated.
  extra_env_ = {"AWS_SHARED_CREDENTIALS_FILE=" + credentials.string(),
                "AWS_CONFIG_FILE=" + config.string()};
  EXPECT_EQ(RunClean({"get", "jwt-secret"}).exit_code, 4);

  // No credentials anywhere.
  extra_env_ = {"AWS_SHARED_CREDENTIALS_FILE=" + (dir_.path() / "none").string()};
  ProcessResult none = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(none.exit_code, 4) << none.err;
  EXPECT_THAT(none.err, HasSubstr("no AWS credentials"));
}

TEST_F(AwsCliTest, ExitCodes) {
  Seed({{"jwt-secret", "v"}});
  ProcessResult missing = RunClean({"get", "no-such-secret"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("no-such-secret"));
  EXPECT_EQ(RunClean({"describe", "no-such-secret"}).exit_code, 3);
  EXPECT_EQ(RunClean({"get", "jwt-secret", "--version", "00000000-0000-4000-8000-000000000000"})
                .exit_code,
            3);
  EXPECT_EQ(RunClean({"get", "jwt-secret", "--stage", "pending"}).exit_code, 3);

  // A wrong secret key: the signature does not match.
  secret_key_ = "wrong-secret-access-key";
  ProcessResult bad_signature = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(bad_signature.exit_code, 4) << bad_signature.err;
  EXPECT_THAT(bad_signature.err, Not(HasSubstr("wrong-secret-access-key")));
  EXPECT_EQ(RunClean({"status"}).exit_code, 4);
  // An unknown access key id.
  access_key_ = "AKIDUNKNOWN";
  EXPECT_EQ(RunClean({"list"}).exit_code, 4);

  // The least-privilege policy: GetSecretValue and DescribeSecret only.
  AddSessionCredentials("ASIAREADER", "reader-secret", "reader-token",
                        json::array({"GetSecretValue", "DescribeSecret"}));
  access_key_ = "ASIAREADER";
  secret_key_ = "reader-secret";
  session_token_ = "reader-token";
  EXPECT_EQ(Run({"get", "jwt-secret"}).out, "v\n");
  ProcessResult denied_list = RunClean({"list"});
  EXPECT_EQ(denied_list.exit_code, 4) << denied_list.err;
  EXPECT_THAT(denied_list.err, HasSubstr("not authorized"));
  EXPECT_EQ(RunClean({"put", "jwt-secret"}, "nope").exit_code, 4);
  EXPECT_EQ(RunClean({"rotate", "jwt-secret"}).exit_code, 4);
  AddSessionCredentials("ASIADENIED", "denied-secret", "denied-token", json::array());
  access_key_ = "ASIADENIED";
  secret_key_ = "denied-secret";
  session_token_ = "denied-token";
  ProcessResult denied = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(denied.exit_code, 4) << denied.err;
  EXPECT_THAT(denied.err, HasSubstr("not authorized"));
  access_key_ = kAwsTestAccessKey;
  secret_key_ = kAwsTestSecretKey;
  session_token_.clear();

  // Throttling: retried, then served.
  server_.Fault({{"kind", "throttle"}, {"count", 2}, {"op", "GetSecretValue"}});
  server_.Control("POST", "/_test/reset-stats");
  ProcessResult throttled_once = Run({"get", "jwt-secret"});
  EXPECT_EQ(throttled_once.exit_code, 0) << throttled_once.err;
  EXPECT_EQ(throttled_once.out, "v\n");
  EXPECT_EQ(server_.OpCount("GetSecretValue"), 3);
  // Throttling that does not stop: unavailable after the attempts.
  server_.Fault({{"kind", "throttle"}, {"count", 1000}});
  ProcessResult throttled = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(throttled.exit_code, 5) << throttled.err;
  EXPECT_THAT(throttled.err, HasSubstr("Rate exceeded"));
  server_.Fault({{"kind", "clear"}});
  for (const char* kind : {"500", "internal", "malformed", "drop"}) {
    server_.Fault({{"kind", kind}, {"count", 1000}});
    ProcessResult failed = RunClean({"get", "jwt-secret"});
    EXPECT_EQ(failed.exit_code, 5) << kind << ": " << failed.err;
    server_.Fault({{"kind", "clear"}});
  }
  EXPECT_EQ(Run({"get", "jwt-secret"}).out, "v\n");

  // Configuration errors are usage errors (exit 2).
  extra_env_ = {"AWS_ENDPOINT_URL=http://secretsmanager.example.com"};
  ProcessResult insecure = RunClean({"status"});
  EXPECT_EQ(insecure.exit_code, 2) << insecure.err;
  EXPECT_THAT(insecure.err, HasSubstr("LOCKSMITH_ALLOW_INSECURE_HTTP"));
  extra_env_ = {"AWS_ENDPOINT_URL=not a url"};
  EXPECT_EQ(RunClean({"status"}).exit_code, 2);
  extra_env_ = {"AWS_REGION=", "AWS_ENDPOINT_URL="};
  ProcessResult no_region = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(no_region.exit_code, 2) << no_region.err;
  EXPECT_THAT(no_region.err, HasSubstr("no AWS region"));
}

TEST_F(AwsCliTest, AgentServesSecretsAndSeesRotationWithoutRestart) {
  ASSERT_EQ(RunClean({"put", "jwt-secret"}, "agent-served-value").exit_code, 0);
  // A short cache TTL so the running agent refreshes soon after the rotation below.
  extra_env_ = {"LOCKSMITH_CACHE_TTL=200ms", "LOCKSMITH_MAX_STALENESS=10s"};
  AgentProcess agent(kCli, Env());
  ASSERT_GT(agent.port(), 0);
  std::string token = ReadFirstLine(dir_.path() / "data" / "agent.token");
  ASSERT_FALSE(token.empty());
  auto cli = agent.Client();
  testing::HttpHeaders good = {{"X-Aws-Parameters-Secrets-Token", token}};
  auto res = cli.Get("/secretsmanager/get?secretId=jwt-secret", good);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json doc = json::parse(res->body);
  EXPECT_EQ(doc["Name"], "jwt-secret");
  EXPECT_EQ(doc["SecretString"], "agent-served-value");
  const std::string first_version = doc["VersionId"];

  // Rotated by another process: the agent serves the new value once its cache entry expires.
  ProcessResult rotate = RunClean({"rotate", "jwt-secret"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  const std::string new_version = Line(rotate.out);
  std::string served_version;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = cli.Get("/secretsmanager/get?secretId=jwt-secret", good);
    ASSERT_TRUE(now);
    ASSERT_EQ(now->status, 200) << now->body;
    served_version = json::parse(now->body)["VersionId"];
    if (served_version == new_version) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // real process, real time
  }
  EXPECT_EQ(served_version, new_version);
  auto previous = cli.Get("/secretsmanager/get?secretId=jwt-secret&versionStage=AWSPREVIOUS", good);
  ASSERT_TRUE(previous);
  ASSERT_EQ(previous->status, 200) << previous->body;
  EXPECT_EQ(json::parse(previous->body)["SecretString"], "agent-served-value");
  EXPECT_EQ(json::parse(previous->body)["VersionId"], first_version);
  auto missing = cli.Get("/secretsmanager/get?secretId=missing", good);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->status, 200);
  auto unauthorized = cli.Get("/secretsmanager/get?secretId=jwt-secret");
  ASSERT_TRUE(unauthorized);
  EXPECT_NE(unauthorized->status, 200);

  ProcessResult result = agent.Terminate();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, Not(HasSubstr("agent-served-value")));
  EXPECT_THAT(result.err, Not(HasSubstr(token)));
  EXPECT_THAT(result.err, Not(HasSubstr(kAwsTestSecretKey)));
}

// --- the leak scan -------------------------------------------------------------------------

TEST_F(AwsCliTest, AwsLeakTest) {
  const std::string planted_secret_key = "PLANTED-aws-secret-access-key-9Jx4";
  const std::string planted_token = "PLANTED-aws-session-token-3Vb8";
  const std::string planted_wrong_key = "PLANTED-wrong-secret-access-key-6Pn1";
  const std::string planted_value = "PLANTED-aws-value-5Gk3";
  const std::string planted_json_value = "PLANTED-aws-json-password-1Lq7";
  const std::vector<std::string> needles = {planted_secret_key, planted_token,
                                            planted_wrong_key,  planted_value,
                                            planted_json_value, "PLANTED"};
  AddSessionCredentials("ASIAPLANTEDKEY", planted_secret_key, planted_token);
  access_key_ = "ASIAPLANTEDKEY";
  secret_key_ = planted_secret_key;
  session_token_ = planted_token;

  // Every command, successes and failures.
  for (const char* help :
       {"--help", "get", "put", "rotate", "list", "describe", "status", "agent"}) {
    if (std::string(help) == "--help") {
      RunClean({"--help"});
    } else {
      RunClean({help, "--help"});
    }
  }
  ASSERT_EQ(RunClean({"put", "db-encryption-key"}, planted_value + "\n").exit_code, 0);
  ASSERT_EQ(RunClean({"rotate", "db-encryption-key"}).exit_code, 0);
  EXPECT_EQ(Run({"get", "db-encryption-key", "--stage", "previous"}).out, planted_value + "\n");
  EXPECT_EQ(Run({"get", "db-encryption-key", "--stage", "previous", "--json"}).exit_code, 0);
  ASSERT_EQ(
      RunClean({"put", "database"}, R"({"password":")" + planted_json_value + R"("})").exit_code,
      0);
  EXPECT_EQ(Run({"get", "database#password"}).out, planted_json_value + "\n");
  RunClean({"describe", "db-encryption-key"});
  RunClean({"describe", "db-encryption-key", "--json"});
  RunClean({"list"});
  RunClean({"status"});
  RunClean({"status", "--json"});
  EXPECT_EQ(RunClean({"get", "missing"}).exit_code, 3);
  EXPECT_NE(RunClean({"get", "db-encryption-key#field"}).exit_code, 0);
  EXPECT_NE(RunClean({"get", "database#nope"}).exit_code, 0);
  EXPECT_NE(RunClean({"get", "db-encryption-key", "--version", "x"}).exit_code, 0);

  // Failures that involve the credentials: a wrong key, a wrong token, an expired token.
  secret_key_ = planted_wrong_key;
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 4);
  EXPECT_EQ(RunClean({"status", "--json"}).exit_code, 4);
  secret_key_ = planted_secret_key;
  session_token_ = planted_wrong_key;
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 4);
  session_token_ = planted_token;
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIAPLANTEDKEY"},
                   {"secret_key", planted_secret_key},
                   {"token", planted_token},
                   {"expires", 1}});
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 4);
  AddSessionCredentials("ASIAPLANTEDKEY", planted_secret_key, planted_token);
  // The credentials in a profile file.
  std::ofstream(dir_.path() / "credentials")
      << "[default]\naws_access_key_id = ASIAPLANTEDKEY\naws_secret_access_key = "
      << planted_secret_key << "\naws_session_token = " << planted_token << "\n";
  access_key_.clear();
  session_token_.clear();
  extra_env_ = {"AWS_SHARED_CREDENTIALS_FILE=" + (dir_.path() / "credentials").string()};
  RunClean({"status"});
  RunClean({"status", "--json"});
  EXPECT_EQ(Run({"get", "db-encryption-key", "--stage", "previous"}).out, planted_value + "\n");
  extra_env_.clear();
  access_key_ = "ASIAPLANTEDKEY";
  session_token_ = planted_token;
  // Faults, and a refused plain-http endpoint.
  for (const char* kind : {"throttle", "500", "malformed", "drop"}) {
    server_.Fault({{"kind", kind}, {"count", 1000}});
    EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 5) << kind;
    server_.Fault({{"kind", "clear"}});
  }
  extra_env_ = {"AWS_ENDPOINT_URL=http://secretsmanager.example.com"};
  EXPECT_EQ(RunClean({"status"}).exit_code, 2);
  extra_env_.clear();

  // The agent, good and bad requests.
  {
    AgentProcess agent(kCli, Env());
    ASSERT_GT(agent.port(), 0);
    std::string token = ReadFirstLine(dir_.path() / "data" / "agent.token");
    auto cli = agent.Client();
    testing::HttpHeaders good = {{"X-Aws-Parameters-Secrets-Token", token}};
    auto ok =
        cli.Get("/secretsmanager/get?secretId=db-encryption-key&versionStage=AWSPREVIOUS", good);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(json::parse(ok->body)["SecretString"], planted_value);
    std::vector<std::optional<testing::HttpResponse>> bad;
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key"));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=missing", good));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key&versionId=99", good));
    server_.Fault({{"kind", "500"}, {"count", 1000}});
    bad.push_back(cli.Get("/secretsmanager/get?secretId=not-cached", good));
    server_.Fault({{"kind", "clear"}});
    for (auto& res : bad) {
      ASSERT_TRUE(res);
      EXPECT_NE(res->status, 200);
      captured_.push_back(res->body);
    }
    auto metrics = cli.Get("/metrics");
    ASSERT_TRUE(metrics);
    captured_.push_back(metrics->body);
    ProcessResult stopped = agent.Terminate();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    captured_.push_back(stopped.out);
    captured_.push_back(stopped.err);
  }

  // The scan: captured output, HTTP bodies and every child's argv.
  const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured_, needles);
  EXPECT_GT(scanned, 1000u);
}

// issue 9: against a server whose ValidationException quoted the submitted value, `put` printed
// it on stderr (the error and the warn log). Reads keep AWS's message, without the credentials.
TEST_F(AwsCliTest, AnEchoingServerGetsNoValueOrCredentialIntoWhatThePutPrints) {
  const std::string planted_secret_key = "PLANTED-echo-secret-access-key-2Wd6";
  const std::string planted_token = "PLANTED-echo-session-token-8Hs1";
  const std::string planted_value = "PLANTED-echo-value\"<\xC3\xA9>-4Tz9";
  const std::string as_json = json(planted_value).dump();
  const std::vector<std::string> needles = {
      planted_secret_key, planted_token, planted_value, as_json.substr(1, as_json.size() - 2),
      "UExBTlRFRC1lY2hv",  // base64 of "PLANTED-echo"
      "PLANTED"};
  AddSessionCredentials("ASIAECHOKEY", planted_secret_key, planted_token);
  access_key_ = "ASIAECHOKEY";
  secret_key_ = planted_secret_key;
  session_token_ = planted_token;

  for (const char* op : {"PutSecretValue", "CreateSecret"}) {
    server_.Fault({{"kind", "echo"}, {"op", op}, {"count", 1000}});
    ProcessResult put = RunClean({"put", "echoed"}, planted_value + "\n");
    EXPECT_EQ(put.exit_code, 2) << op;
    EXPECT_THAT(put.err, HasSubstr("ValidationException")) << op;
    server_.Fault({{"kind", "clear"}});
  }
  server_.Fault({{"kind", "echo"},
                 {"op", "GetSecretValue"},
                 {"count", 1000},
                 {"type", "AccessDeniedException"},
                 {"status", 400}});
  ProcessResult get = RunClean({"get", "echoed"});
  EXPECT_EQ(get.exit_code, 4);
  EXPECT_THAT(get.err, HasSubstr("signed with ***"));
  server_.Fault({{"kind", "clear"}});

  const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured_, needles);
  EXPECT_GT(scanned, 200u);
}

// A value that is not UTF-8 goes as SecretBinary and comes back byte for byte.
TEST_F(AwsCliTest, AValueThatIsNotUtf8RoundTrips) {
  const std::string bytes = "over\xC0\xAFlong\xED\xA0\x80";
  ASSERT_EQ(RunClean({"put", "binary"}, bytes).exit_code, 0);
  EXPECT_EQ(Run({"get", "binary"}).out, bytes + "\n");
  ProcessResult as_json = Run({"get", "binary", "--json"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.err;
}

}  // namespace
}  // namespace locksmith
