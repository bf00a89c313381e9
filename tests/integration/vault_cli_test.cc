// The real `locksmith` program and agent with SECRETS_BACKEND=vault, against
// tests/servers/vault_server.py over real sockets. VaultLeakTest plants a Vault token, an AppRole
// secret id and secret values, drives every command (failures and the agent included) and scans
// everything printed: a planted value may appear only in `get`'s own stdout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "integration/agent_process.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "providers/vault/vault_test_server.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using json = nlohmann::json;
using testing::AgentProcess;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::ReadFirstLine;

constexpr char kCli[] = LOCKSMITH_CLI_PATH;
constexpr char kMount[] = "secret/agentauri-backend/production";
constexpr char kDataPrefix[] = "/v1/secret/data/agentauri-backend/production/";

// What a rotating operator needs: read and write data, read metadata, list.
const std::string kWriterPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
)";
// The operators' guide policy for services.
const std::string kReaderPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
)";

class VaultCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "vault test server did not start";
    auto approle = server_.MakeAppRole("ops", "writer", kWriterPolicy);
    role_id_ = approle.first;
    secret_id_ = approle.second;
  }

  std::vector<std::string> Env() const {
    std::vector<std::string> env = {
        "HOME=" + dir_.path().string(),
        "SECRETS_BACKEND=vault",
        "VAULT_ADDR=" + server_.addr(),
        std::string("VAULT_MOUNT_PATH=") + kMount,
        "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
        // Real time in a child process: keep backoff short.
        "LOCKSMITH_RETRY_BASE_DELAY=5ms",
        "LOCKSMITH_RETRY_MAX_DELAY=20ms",
        "VAULT_CLIENT_TIMEOUT=5s",
    };
    if (!role_id_.empty()) {
      env.push_back("VAULT_ROLE_ID=" + role_id_);
      env.push_back("VAULT_SECRET_ID=" + secret_id_);
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

  void Write(const std::string& name, const std::string& value) {
    int status = 0;
    server_.Admin("POST", kDataPrefix + name, {{"data", {{"value", value}}}}, "", &status);
    ASSERT_EQ(status, 200);
  }

  static std::string Trim(std::string s) {
    while (!s.empty() && s.back() == '\n') {
      s.pop_back();
    }
    return s;
  }

  testing::VaultTestServer server_;
  testing::TempDir dir_;
  std::string role_id_;
  std::string secret_id_;
  std::vector<std::string> extra_env_;
  std::vector<std::string> captured_;  // everything that must be free of planted values
};

TEST_F(VaultCliTest, PutGetRotateListDescribeStatus) {
  ProcessResult put = RunClean({"put", "jwt-secret"}, "first-value\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "1\n");
  ProcessResult put2 = RunClean({"put", "jwt-secret"}, "second-value");
  ASSERT_EQ(put2.exit_code, 0) << put2.err;
  EXPECT_EQ(put2.out, "2\n");

  ProcessResult get = Run({"get", "jwt-secret"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "second-value\n");
  ProcessResult previous = Run({"get", "jwt-secret", "--stage", "previous"});
  ASSERT_EQ(previous.exit_code, 0) << previous.err;
  EXPECT_EQ(previous.out, "first-value\n");
  ProcessResult by_version = Run({"get", "jwt-secret", "--version", "1"});
  EXPECT_EQ(by_version.out, "first-value\n");
  ProcessResult as_json = Run({"get", "jwt-secret", "--json"});
  ASSERT_EQ(as_json.exit_code, 0);
  json doc = json::parse(as_json.out);
  EXPECT_EQ(doc["VersionId"], "2");
  EXPECT_EQ(doc["SecretString"], "second-value");

  ProcessResult rotate = RunClean({"rotate", "jwt-secret", "--bytes", "48"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_EQ(rotate.out, "3\n");
  ProcessResult rotated = Run({"get", "jwt-secret"});
  EXPECT_EQ(rotated.out.size(), 64u + 1);
  EXPECT_EQ(Run({"get", "jwt-secret", "--stage", "previous"}).out, "second-value\n");

  ProcessResult describe = RunClean({"describe", "jwt-secret"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("3  AWSCURRENT"));
  EXPECT_THAT(describe.out, HasSubstr("2  AWSPREVIOUS"));
  EXPECT_THAT(describe.out, Not(HasSubstr("second-value")));
  ProcessResult describe_json = RunClean({"describe", "jwt-secret", "--json"});
  ASSERT_EQ(describe_json.exit_code, 0);
  EXPECT_EQ(json::parse(describe_json.out)["Versions"].size(), 3u);

  ASSERT_EQ(RunClean({"put", "rpc/alchemy-api-key"}, "k").exit_code, 0);
  ProcessResult list = RunClean({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "jwt-secret\nrpc/alchemy-api-key\n");
  EXPECT_EQ(RunClean({"list", "rpc/"}).out, "rpc/alchemy-api-key\n");

  ProcessResult status = RunClean({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("backend:   vault"));
  EXPECT_THAT(status.out, HasSubstr("reachable: yes (2 secrets)"));
  EXPECT_THAT(status.out, HasSubstr("vault auth:      approle"));
  EXPECT_THAT(status.out, MatchesRegex("(.|\n)*token ttl: +(59m5[0-9]s|1h)\n(.|\n)*"));
  EXPECT_THAT(status.out, HasSubstr("token renewable: yes"));
  EXPECT_THAT(status.out, HasSubstr("token policies:  default,writer"));
  EXPECT_THAT(status.out, Not(HasSubstr("hvs.")));  // never the token
  ProcessResult status_json = RunClean({"status", "--json"});
  ASSERT_EQ(status_json.exit_code, 0);
  json status_doc = json::parse(status_json.out);
  EXPECT_EQ(status_doc["details"]["token renewable"], "yes");
  EXPECT_EQ(status_doc["details"]["vault mount"], kMount);
}

TEST_F(VaultCliTest, StatusUnderTheLeastPrivilegePolicy) {
  Write("jwt-secret", "v");
  auto reader = server_.MakeAppRole("svc", "reader", kReaderPolicy);
  role_id_ = reader.first;
  secret_id_ = reader.second;
  ProcessResult status = RunClean({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("reachable: yes (listing denied by policy)"));
  EXPECT_THAT(status.out, HasSubstr("token policies:  default,reader"));
  EXPECT_EQ(Run({"get", "jwt-secret"}).out, "v\n");
  EXPECT_EQ(RunClean({"list"}).exit_code, 4);
  EXPECT_EQ(RunClean({"put", "jwt-secret"}, "nope").exit_code, 4);
}

TEST_F(VaultCliTest, ExitCodes) {
  Write("jwt-secret", "v");
  ProcessResult missing = RunClean({"get", "no-such-secret"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("\nlocksmith: secret 'no-such-secret' not found in Vault\n"));
  EXPECT_EQ(RunClean({"describe", "no-such-secret"}).exit_code, 3);
  EXPECT_EQ(RunClean({"get", "jwt-secret", "--version", "7"}).exit_code, 3);

  secret_id_ = "wrong-secret-id";
  ProcessResult denied = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(denied.exit_code, 4) << denied.err;
  EXPECT_THAT(denied.err, HasSubstr("invalid role or secret ID"));
  EXPECT_THAT(denied.err, Not(HasSubstr("wrong-secret-id")));

  role_id_.clear();
  extra_env_ = {"VAULT_TOKEN=not-a-token"};
  EXPECT_EQ(RunClean({"get", "jwt-secret"}).exit_code, 4);
  extra_env_ = {"VAULT_TOKEN=root"};
  EXPECT_EQ(Run({"get", "jwt-secret"}).out, "v\n");

  server_.SetFault({{"mode", "sealed"}});
  ProcessResult sealed = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(sealed.exit_code, 5) << sealed.err;
  EXPECT_THAT(sealed.err, HasSubstr("sealed"));
  EXPECT_EQ(RunClean({"status"}).exit_code, 5);
  server_.SetFault({{"mode", "none"}});

  extra_env_ = {"VAULT_TOKEN=root", "VAULT_ADDR=http://vault.example.com:8200"};
  ProcessResult insecure = RunClean({"status"});
  EXPECT_EQ(insecure.exit_code, 2) << insecure.err;
  EXPECT_THAT(insecure.err, HasSubstr("LOCKSMITH_ALLOW_INSECURE_HTTP"));
}

// A back end answering a million nested arrays crashed `locksmith get` (exit 139: recursion in
// the wipe of the parsed answer); now it is an unavailable back end (exit 5) and says why.
TEST_F(VaultCliTest, DeeplyNestedAnswerIsAnErrorNotACrash) {
  Write("jwt-secret", "v");
  server_.SetFault({{"mode", "deep"}, {"path", "secret/data/"}});
  ProcessResult deep = RunClean({"get", "jwt-secret"});
  EXPECT_EQ(deep.exit_code, 5) << deep.err;
  EXPECT_THAT(deep.err, HasSubstr("nested deeper than 64"));
  server_.SetFault({{"mode", "none"}});
  EXPECT_EQ(Run({"get", "jwt-secret"}).out, "v\n");
}

TEST_F(VaultCliTest, AgentServesVaultSecrets) {
  Write("jwt-secret", "agent-served-value");
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
  EXPECT_EQ(doc["VersionId"], "1");

  // A rotation in Vault is served after a refresh; a missing secret is a 404-like answer.
  Write("jwt-secret", "rotated-value");
  auto previous = cli.Get("/secretsmanager/get?secretId=jwt-secret&versionStage=AWSPREVIOUS", good);
  ASSERT_TRUE(previous);
  EXPECT_EQ(json::parse(previous->body)["SecretString"], "agent-served-value");
  auto missing = cli.Get("/secretsmanager/get?secretId=missing", good);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->status, 200);

  ProcessResult result = agent.Terminate();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, Not(HasSubstr("seeded")));  // only the local store is seeded
  EXPECT_THAT(result.err, Not(HasSubstr("agent-served-value")));
  EXPECT_THAT(result.err, Not(HasSubstr(token)));
  EXPECT_THAT(result.err, Not(HasSubstr(secret_id_)));
}

// --- the leak scan -------------------------------------------------------------------------

TEST_F(VaultCliTest, VaultLeakTest) {
  const std::string planted_token = "PLANTED-vault-token-7Hq2";
  const std::string planted_secret_id = "PLANTED-vault-secret-id-4Zm9";
  const std::string planted_wrong_secret_id = "PLANTED-wrong-secret-id-8Kd1";
  const std::string planted_value = "PLANTED-vault-value-2Rt6";
  const std::vector<std::string> needles = {planted_token, planted_secret_id,
                                            planted_wrong_secret_id, planted_value, "PLANTED"};
  // A planted AppRole secret id and a planted token, both created the way operators do.
  int status = 0;
  server_.Admin("POST", "/v1/auth/approle/role/ops/custom-secret-id",
                {{"secret_id", planted_secret_id}}, "", &status);
  ASSERT_EQ(status, 200);
  secret_id_ = planted_secret_id;
  server_.Admin("POST", "/v1/auth/token/create",
                {{"id", planted_token}, {"policies", {"writer"}}, {"ttl", "1h"}}, "", &status);
  ASSERT_EQ(status, 200);

  // AppRole with the planted secret id: every command, successes and failures.
  ASSERT_EQ(RunClean({"put", "db-encryption-key"}, planted_value + "\n").exit_code, 0);
  ASSERT_EQ(RunClean({"rotate", "db-encryption-key"}).exit_code, 0);
  EXPECT_EQ(Run({"get", "db-encryption-key", "--stage", "previous"}).out, planted_value + "\n");
  EXPECT_EQ(Run({"get", "db-encryption-key", "--version", "1", "--json"}).exit_code, 0);
  RunClean({"describe", "db-encryption-key"});
  RunClean({"describe", "db-encryption-key", "--json"});
  RunClean({"list"});
  RunClean({"status"});
  RunClean({"status", "--json"});
  EXPECT_EQ(RunClean({"get", "missing"}).exit_code, 3);
  EXPECT_NE(RunClean({"get", "db-encryption-key#field"}).exit_code, 0);
  EXPECT_EQ(RunClean({"get", "db-encryption-key", "--version", "x"}).exit_code, 2);

  // The planted token instead of AppRole.
  role_id_.clear();
  extra_env_ = {"VAULT_TOKEN=" + planted_token};
  EXPECT_EQ(Run({"get", "db-encryption-key", "--stage", "previous"}).out, planted_value + "\n");
  RunClean({"status"});
  RunClean({"status", "--json"});
  RunClean({"list"});
  // The token in a file, as a Vault Agent sink writes it.
  std::ofstream(dir_.path() / "vault-token") << planted_token << "\n";
  extra_env_ = {"VAULT_TOKEN_FILE=" + (dir_.path() / "vault-token").string()};
  RunClean({"status"});
  // Token and token file together: refused, neither echoed.
  extra_env_ = {"VAULT_TOKEN=" + planted_token,
                "VAULT_TOKEN_FILE=" + (dir_.path() / "vault-token").string()};
  EXPECT_EQ(RunClean({"status"}).exit_code, 2);

  // Failures that involve the secrets: a wrong secret id, a revoked token, a sealed server.
  role_id_ = server_.MakeAppRole("ops", "writer", kWriterPolicy).first;
  extra_env_.clear();
  secret_id_ = planted_wrong_secret_id;
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 4);
  EXPECT_EQ(RunClean({"status", "--json"}).exit_code, 4);
  secret_id_ = planted_secret_id;
  // The secret id from a file, as CI systems mount it.
  std::ofstream(dir_.path() / "secret-id") << planted_secret_id << "\n";
  secret_id_.clear();
  role_id_.clear();
  extra_env_ = {"VAULT_ROLE_ID=" + server_.MakeAppRole("ops", "writer", kWriterPolicy).first,
                "VAULT_SECRET_ID_FILE=" + (dir_.path() / "secret-id").string()};
  RunClean({"status"});
  extra_env_.clear();
  role_id_ = server_.MakeAppRole("ops", "writer", kWriterPolicy).first;
  secret_id_ = planted_secret_id;
  server_.SetFault({{"mode", "sealed"}});
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 5);
  server_.SetFault({{"mode", "malformed"}, {"path", "secret/"}});
  EXPECT_EQ(RunClean({"get", "db-encryption-key"}).exit_code, 5);
  server_.SetFault({{"mode", "none"}});

  // The agent over Vault, good and bad requests.
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
    server_.SetFault({{"mode", "sealed"}});
    bad.push_back(cli.Get("/secretsmanager/get?secretId=not-cached", good));
    server_.SetFault({{"mode", "none"}});
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

// issue 9: a Vault (or a proxy) whose errors quote the request had `put` print the value, and
// reads printed the token. A write's error quotes nothing of Vault's; a read's is scrubbed.
TEST_F(VaultCliTest, AnEchoingServerGetsNoValueOrTokenIntoWhatThePutPrints) {
  const std::string planted_value = "PLANTED-vault-echo\"<\xC3\xA9>-7Rk2";
  const std::string as_json = json(planted_value).dump();
  const std::vector<std::string> needles = {
      planted_value, as_json.substr(1, as_json.size() - 2),
      "UExBTlRFRC12YXVsdC1lY2hv",  // base64 "PLANTED-vault-echo"
      secret_id_, "PLANTED"};
  server_.SetFault({{"mode", "echo"}, {"method", "POST"}, {"path", "secret/data/"}});
  ProcessResult put = RunClean({"put", "echoed"}, planted_value + "\n");
  EXPECT_EQ(put.exit_code, 2);
  EXPECT_THAT(put.err, HasSubstr("bad request"));
  server_.SetFault({{"mode", "echo"}, {"method", "GET"}, {"path", "secret/data/"}});
  ProcessResult get = RunClean({"get", "echoed"});
  EXPECT_EQ(get.exit_code, 2);
  EXPECT_THAT(get.err, HasSubstr("token ***"));
  server_.SetFault({{"mode", "none"}});
  EXPECT_THAT(get.err, Not(HasSubstr("hvs.")));  // the test server's tokens

  const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured_, needles);
  EXPECT_GT(scanned, 100u);
}

// KV v2 stores text: a value that is not UTF-8 is refused with a clear error, not "unexpected
// exception".
TEST_F(VaultCliTest, AValueThatIsNotUtf8IsRefusedClearly) {
  ProcessResult put = RunClean({"put", "binary"}, std::string("over\xC0\xAFlong"));
  EXPECT_EQ(put.exit_code, 2);
  EXPECT_THAT(put.err, HasSubstr("not valid UTF-8"));
  EXPECT_THAT(put.err, Not(HasSubstr("exception")));
}

}  // namespace
}  // namespace locksmith
