// The real `locksmith` program as a child process, on the embedded store in a temp directory.
// LeakTest plants distinctive values, drives every path (failures and the agent included) and
// scans everything printed: a planted value may appear only in `get`'s own stdout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "integration/agent_process.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using json = nlohmann::json;
using testing::AgentProcess;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::ReadFirstLine;

constexpr char kCli[] = LOCKSMITH_CLI_PATH;

class CliTest : public ::testing::Test {
 protected:
  std::vector<std::string> Env() const {
    std::vector<std::string> env = {
        "HOME=" + dir_.path().string(),
        "SECRETS_BACKEND=local",
        "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
        "LOCKSMITH_MASTER_KEY_FILE=" + key_file_.string(),
    };
    env.insert(env.end(), extra_env_.begin(), extra_env_.end());
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

  // Like Run, for output that may not contain any planted value (everything but get's stdout).
  ProcessResult RunClean(std::vector<std::string> args, std::optional<std::string> input = {}) {
    ProcessResult result = Run(std::move(args), std::move(input));
    captured_.push_back(result.out);
    return result;
  }

  static std::string Trim(std::string s) {
    while (!s.empty() && s.back() == '\n') {
      s.pop_back();
    }
    return s;
  }

  testing::TempDir dir_;
  std::filesystem::path key_file_ = dir_.path() / "keys" / "master.key";
  std::vector<std::string> extra_env_;
  std::vector<std::string> captured_;  // everything that must be free of planted values
};

TEST_F(CliTest, PutFromStdinThenGet) {
  ProcessResult put = RunClean({"put", "database-password"}, "pw-from-stdin\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_THAT(Trim(put.out), MatchesRegex("[0-9a-zA-Z-]+"));
  ProcessResult get = Run({"get", "database-password"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "pw-from-stdin\n");
}

TEST_F(CliTest, GetJson) {
  ASSERT_EQ(RunClean({"put", "api-key"}, "json-value").exit_code, 0);
  ProcessResult get = Run({"get", "api-key", "--json"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  json doc = json::parse(get.out);
  EXPECT_EQ(doc["Name"], "api-key");
  EXPECT_EQ(doc["SecretString"], "json-value");
  EXPECT_EQ(doc["VersionStages"], json::array({"AWSCURRENT"}));
  EXPECT_TRUE(doc["CreatedDate"].is_number());
  EXPECT_TRUE(doc["VersionId"].is_string());
}

TEST_F(CliTest, RotateDescribeListStatus) {
  ASSERT_EQ(RunClean({"put", "jwt-secret"}, "before-rotation").exit_code, 0);
  ProcessResult rotate = RunClean({"rotate", "jwt-secret", "--bytes", "48"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  std::string new_version = Trim(rotate.out);
  ASSERT_FALSE(new_version.empty());

  ProcessResult current = Run({"get", "jwt-secret"});
  ASSERT_EQ(current.exit_code, 0);
  EXPECT_EQ(current.out.size(), 64u + 1);  // base64 of 48 bytes, newline
  ProcessResult previous = Run({"get", "jwt-secret", "--stage", "previous"});
  ASSERT_EQ(previous.exit_code, 0);
  EXPECT_EQ(previous.out, "before-rotation\n");
  ProcessResult by_id = Run({"get", "jwt-secret", "--version", new_version});
  EXPECT_EQ(by_id.out, current.out);

  ProcessResult describe = RunClean({"describe", "jwt-secret"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr(new_version + "  AWSCURRENT"));
  EXPECT_THAT(describe.out, HasSubstr("AWSPREVIOUS"));
  EXPECT_THAT(describe.out, Not(HasSubstr(Trim(current.out))));
  ProcessResult describe_json = RunClean({"describe", "jwt-secret", "--json"});
  ASSERT_EQ(describe_json.exit_code, 0);
  EXPECT_EQ(json::parse(describe_json.out)["Versions"].size(), 2u);

  ASSERT_EQ(RunClean({"put", "rpc/alchemy-api-key"}, "k").exit_code, 0);
  ProcessResult list = RunClean({"list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "jwt-secret\nrpc/alchemy-api-key\n");
  ProcessResult prefixed = RunClean({"list", "rpc/"});
  EXPECT_EQ(prefixed.out, "rpc/alchemy-api-key\n");

  ProcessResult status = RunClean({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("backend:   local"));
  EXPECT_THAT(status.out, HasSubstr("reachable: yes (2 secrets)"));
  EXPECT_THAT(status.out, HasSubstr("breaker:   closed"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  ProcessResult bad_flag = RunClean({"get", "x", "--no-such-flag"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("Usage:"));
  EXPECT_EQ(RunClean({}).exit_code, 2);
  EXPECT_EQ(RunClean({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunClean({"get"}).exit_code, 2);
  EXPECT_EQ(RunClean({"rotate", "x", "--bytes", "0"}).exit_code, 2);
  EXPECT_EQ(RunClean({"get", "x", "--stage", "latest"}).exit_code, 2);
  EXPECT_EQ(RunClean({"put", "bad name!"}, "v").exit_code, 2);
  EXPECT_EQ(RunClean({"put", "empty"}, "").exit_code, 2);
  ProcessResult help = RunClean({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("agent"));
}

TEST_F(CliTest, ExtraArgumentsAreNotEchoed) {
  // Someone passes the value as an argument by mistake: refused, and not printed back.
  ProcessResult put = RunClean({"put", "name", "mistaken-argv-value-Kk3"});
  EXPECT_EQ(put.exit_code, 2);
  EXPECT_THAT(put.err, Not(HasSubstr("mistaken-argv-value-Kk3")));
  EXPECT_THAT(put.out, Not(HasSubstr("mistaken-argv-value-Kk3")));
}

TEST_F(CliTest, MissingSecretExitsThree) {
  ProcessResult get = RunClean({"get", "no-such-secret"});
  EXPECT_EQ(get.exit_code, 3);
  EXPECT_THAT(get.err, StartsWith("locksmith: "));
  EXPECT_THAT(get.err, HasSubstr("no-such-secret"));
  EXPECT_EQ(get.out, "");
  EXPECT_EQ(RunClean({"describe", "no-such-secret"}).exit_code, 3);
}

TEST_F(CliTest, WrongMasterKeyExitsFour) {
  ASSERT_EQ(RunClean({"put", "database-password"}, "sealed-value").exit_code, 0);
  key_file_ = dir_.path() / "keys" / "other.key";  // created fresh: a different key
  ProcessResult get = RunClean({"get", "database-password"});
  EXPECT_EQ(get.exit_code, 4) << get.err;
  EXPECT_THAT(get.err, StartsWith("locksmith: "));
}

TEST_F(CliTest, BadConfigurationIsReported) {
  extra_env_ = {"LOCKSMITH_CACHE_TTL=soon"};
  ProcessResult status = RunClean({"status"});
  EXPECT_NE(status.exit_code, 0);
  EXPECT_THAT(status.err, HasSubstr("LOCKSMITH_CACHE_TTL"));
}

// --- the agent -----------------------------------------------------------------------------

TEST_F(CliTest, AgentSeedsServesAndShutsDownOnSigterm) {
  AgentProcess agent(kCli, Env());
  ASSERT_GT(agent.port(), 0);
  auto token_file = dir_.path() / "data" / "agent.token";
  struct stat st {};
  ASSERT_EQ(stat(token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string token = ReadFirstLine(token_file);

  auto cli = agent.Client();
  auto ping = cli.Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->body, "healthy");
  auto res = cli.Get("/secretsmanager/get?secretId=jwt-secret",
                     {{"X-Aws-Parameters-Secrets-Token", token}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json doc = json::parse(res->body);
  EXPECT_EQ(doc["Name"], "jwt-secret");
  EXPECT_EQ(doc["SecretString"].get<std::string>().size(), 88u);

  ProcessResult result = agent.Terminate();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("seeded 5 development secrets"));
  EXPECT_THAT(result.err, HasSubstr("locksmith agent: stopped"));
  EXPECT_THAT(result.err, Not(HasSubstr(token)));
  EXPECT_THAT(result.err, Not(HasSubstr(doc["SecretString"].get<std::string>())));

  ProcessResult list = RunClean({"list"});
  EXPECT_EQ(list.out,
            "alchemy-api-key\ndatabase-password\ndb-encryption-key\njwt-secret\nredis-password\n");
}

TEST_F(CliTest, AgentRefusesNonLoopback) {
  ChildProcess child({kCli, "agent", "--listen", "0.0.0.0:0"}, Env());
  ProcessResult result = child.Finish();
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_THAT(result.err, HasSubstr("non-loopback"));
}

// --- the leak test -------------------------------------------------------------------------

TEST_F(CliTest, LeakTest) {
  const std::vector<std::string> planted = {
      "PLANTED-db-key-1f9a7c3e",
      "PLANTED-jwt-6b2d8e0a",
      R"({"username":"app","password":"PLANTED-json-pw-9c4e"})",
  };
  const std::vector<std::string> needles = {"PLANTED-db-key-1f9a7c3e", "PLANTED-jwt-6b2d8e0a",
                                            "PLANTED-json-pw-9c4e", "PLANTED"};

  // Writes, through stdin only.
  ASSERT_EQ(RunClean({"put", "db-encryption-key"}, planted[0] + "\n").exit_code, 0);
  ASSERT_EQ(RunClean({"put", "jwt-secret"}, planted[1]).exit_code, 0);
  ASSERT_EQ(RunClean({"put", "database"}, planted[2]).exit_code, 0);
  ASSERT_EQ(RunClean({"rotate", "jwt-secret"}).exit_code, 0);
  ASSERT_EQ(RunClean({"put", "jwt-secret"}, planted[1]).exit_code, 0);

  // Reads: get's stdout may hold the value; its stderr may not.
  ProcessResult get = Run({"get", "db-encryption-key"});
  EXPECT_EQ(get.out, planted[0] + "\n");
  ProcessResult field = Run({"get", "database#password"});
  EXPECT_EQ(field.out, "PLANTED-json-pw-9c4e\n");
  ProcessResult as_json = Run({"get", "jwt-secret", "--json"});
  EXPECT_THAT(as_json.out, HasSubstr(planted[1]));
  ProcessResult previous = Run({"get", "jwt-secret", "--stage", "previous"});
  EXPECT_EQ(previous.exit_code, 0);

  // Everything else, failures included.
  RunClean({"describe", "db-encryption-key"});
  RunClean({"describe", "jwt-secret", "--json"});
  RunClean({"list"});
  RunClean({"status"});
  RunClean({"status", "--json"});
  EXPECT_EQ(RunClean({"get", "database#no-such-field"}).exit_code, 3);
  EXPECT_NE(RunClean({"get", "database-password#field"}).exit_code, 0);
  EXPECT_NE(RunClean({"get", "db-encryption-key#field"}).exit_code, 0);  // not JSON
  EXPECT_EQ(RunClean({"get", "jwt-secret", "--version", "nope"}).exit_code, 3);
  EXPECT_EQ(RunClean({"get", "jwt-secret", "--stage", "pending"}).exit_code, 3);
  EXPECT_EQ(RunClean({"put", "bad name!"}, planted[0]).exit_code, 2);
  EXPECT_EQ(RunClean({"get", "--bogus"}).exit_code, 2);
  RunClean({"--help"});
  RunClean({"get", "--help"});
  RunClean({"put", "--help"});

  // The agent, with good and bad requests.
  {
    AgentProcess agent(kCli, Env());
    ASSERT_GT(agent.port(), 0);
    std::string token = ReadFirstLine(dir_.path() / "data" / "agent.token");
    auto cli = agent.Client();
    testing::HttpHeaders good = {{"X-Aws-Parameters-Secrets-Token", token}};
    auto ok = cli.Get("/secretsmanager/get?secretId=db-encryption-key", good);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(json::parse(ok->body)["SecretString"], planted[0]);
    auto ok_v1 = cli.Get("/v1/jwt-secret?versionStage=AWSCURRENT", good);
    ASSERT_TRUE(ok_v1);
    EXPECT_EQ(ok_v1->status, 200);

    std::vector<std::optional<testing::HttpResponse>> bad;
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key"));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key",
                          {{"X-Aws-Parameters-Secrets-Token", "PLANTED-wrong-token"}}));
    bad.push_back(
        cli.Get("/secretsmanager/get?secretId=db-encryption-key",
                {{"X-Aws-Parameters-Secrets-Token", token}, {"X-Forwarded-For", "1.2.3.4"}}));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=missing", good));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=database%23nofield", good));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key&versionStage=x", good));
    bad.push_back(cli.Get("/secretsmanager/get?secretId=db-encryption-key&versionId=zz", good));
    bad.push_back(cli.Get("/nothing-here", good));
    for (auto& res : bad) {
      ASSERT_TRUE(res);
      EXPECT_NE(res->status, 200);
      captured_.push_back(res->body);
    }
    auto metrics = cli.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_THAT(metrics->body, HasSubstr("secrets_manager_"));
    captured_.push_back(metrics->body);

    ProcessResult stopped = agent.Terminate();
    EXPECT_EQ(stopped.exit_code, 0);
    EXPECT_THAT(stopped.err, Not(HasSubstr("seeded")));  // the store was not empty
    EXPECT_THAT(stopped.err, Not(HasSubstr(token)));
    captured_.push_back(stopped.out);
    captured_.push_back(stopped.err);
  }

  // A wrong master key: the store cannot be opened, and nothing about its contents is printed.
  key_file_ = dir_.path() / "keys" / "wrong.key";
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 4);
  EXPECT_EQ(RunClean({"list"}).exit_code, 4);

  // The scan: captured output, HTTP bodies and every child's argv.
  const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured_, needles);
  EXPECT_GT(scanned, 1000u);  // the scan looked at real output
}

}  // namespace
}  // namespace locksmith
