// `locksmith check` through the real program: on the embedded store (every item ok, then each
// failing: a critical secret in .env and in the environment, an old secret, a short cache TTL, a
// log holding values), against the Vault test server (a read-only AppRole policy passes the
// least-privilege probe, a mount-wide one fails it) and against the AWS test server (a credential
// scoped to the prefix passes, an unscoped one fails). Everything printed is scanned for the
// planted values, their base64 forms and the credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "integration/local_store_env.h"
#include "providers/aws/aws_test_server.h"
#include "providers/vault/vault_test_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using testing::ChildProcess;
using testing::ProcessResult;

constexpr char kCheckCli[] = LOCKSMITH_CLI_PATH;
constexpr char kCheckJwt[] = "planted-check-jwt-Tq58zr";
constexpr char kCheckKey[] = "planted-check-key-Lb29wx";
constexpr char kCheckDotenv[] = "planted-check-dotenv-Ve71";
constexpr char kCheckEnviron[] = "planted-check-environ-Ks40";
// base64 of kCheckJwt.
constexpr char kCheckJwtBase64[] = "cGxhbnRlZC1jaGVjay1qd3QtVHE1OHpy";

// Runs the program, keeps stdout and stderr for the leak scan.
class CheckCliBase : public ::testing::Test {
 protected:
  ProcessResult RunWith(std::vector<std::string> env, std::vector<std::string> args,
                        std::optional<std::string> input = {}) {
    args.insert(args.begin(), kCheckCli);
    ChildProcess child(args, env);
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    ProcessResult result = child.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    return result;
  }

  // The item `name` of a --json answer.
  static json Item(const ProcessResult& result, const std::string& name) {
    json doc = json::parse(result.out, nullptr, false);
    EXPECT_TRUE(doc.is_array()) << result.out << result.err;
    for (const json& item : doc.is_array() ? doc : json::array()) {
      if (item["item"] == name) {
        return item;
      }
    }
    ADD_FAILURE() << "no item " << name << " in " << result.out;
    return json::object();
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  void ExpectNothingLeaked(std::vector<std::string> more = {}) {
    more.insert(more.end(), {kCheckJwt, kCheckKey, kCheckDotenv, kCheckEnviron, kCheckJwtBase64});
    EXPECT_GT(testing::ExpectNoNeedleLeaked(captured_, more), 0u);
  }

  testing::TempDir dir_;
  std::vector<std::string> captured_;
};

class CheckLocalCliTest : public CheckCliBase {
 protected:
  void SetUp() override {
    ASSERT_EQ(Run({"put", "jwt-secret"}, kCheckJwt).exit_code, 0);
    ASSERT_EQ(Run({"put", "db-encryption-key"}, kCheckKey).exit_code, 0);
  }

  std::vector<std::string> Env(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> env = testing::LocalStoreEnv(
        dir_.path(), {"LOCKSMITH_DOTENV_FILE=" + (dir_.path() / "absent.env").string()});
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }
  ProcessResult Run(std::vector<std::string> args, std::optional<std::string> input = {},
                    const std::vector<std::string>& extra = {}) {
    return RunWith(Env(extra), std::move(args), std::move(input));
  }
};

TEST_F(CheckLocalCliTest, EveryItemOkExitsZero) {
  const std::string log = WriteFile("app.log", "GET /health 200\n");
  ProcessResult result = Run({"check", "--scan-log", log});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("ok    env-secrets"));
  EXPECT_THAT(result.out, HasSubstr("skip  least-privilege  the embedded store is one user's"));
  EXPECT_THAT(result.out, HasSubstr("ok    secret-age       db-encryption-key 0d old (max 365d), "
                                    "jwt-secret 0d old (max 90d)"));
  EXPECT_THAT(result.out, HasSubstr("ok    cache-ttl"));
  EXPECT_THAT(result.out, HasSubstr("ok    backend          local reachable (2 secrets)"));
  EXPECT_THAT(result.out, HasSubstr("ok    log-scan         " + log));
  EXPECT_TRUE(result.err.empty()) << result.err;
  ExpectNothingLeaked();
}

TEST_F(CheckLocalCliTest, EachFailingItemIsNamedAndExitIsOne) {
  const std::string env_file = WriteFile(
      "service.env", "APP_ENV=production\nDB_PASSWORD=" + std::string(kCheckDotenv) + "\n");
  const std::string log = WriteFile("app.log", "boot\nsigning with " + std::string(kCheckJwt) +
                                                   "\nkey b64 " + kCheckJwtBase64 + "\n");
  ProcessResult result =
      Run({"check", "--json", "--env-file", env_file, "--max-age", "db-encryption-key=1ms",
           "--scan-log", log},
          std::nullopt, {std::string("JWT_SECRET=") + kCheckEnviron, "LOCKSMITH_CACHE_TTL=1m"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("locksmith: check: 4 of 6 items failed"));
  json env_item = Item(result, "env-secrets");
  EXPECT_EQ(env_item["status"], "fail");
  EXPECT_THAT(env_item["detail"].get<std::string>(),
              HasSubstr("DB_PASSWORD (database-password) at " + env_file + ":2"));
  EXPECT_THAT(env_item["detail"].get<std::string>(),
              HasSubstr("JWT_SECRET (jwt-secret) in the environment"));
  json age = Item(result, "secret-age");
  EXPECT_EQ(age["status"], "fail");
  EXPECT_THAT(age["detail"].get<std::string>(), HasSubstr("db-encryption-key 0d old (max 1ms)"));
  EXPECT_EQ(Item(result, "cache-ttl")["status"], "fail");
  json scan = Item(result, "log-scan");
  EXPECT_EQ(scan["status"], "fail");
  EXPECT_EQ(scan["detail"], log +
                                ": a current secret value at lines 2, 3 (rotate jwt-secret, then "
                                "purge the log)");
  ExpectNothingLeaked();
}

TEST_F(CheckLocalCliTest, UsageErrorsExitTwo) {
  ProcessResult bad_age = Run({"check", "--max-age", "jwt-secret"});
  EXPECT_EQ(bad_age.exit_code, 2);
  EXPECT_THAT(bad_age.err, HasSubstr("--max-age takes NAME=DURATION"));
  ProcessResult no_file = Run({"check", "--env-file", (dir_.path() / "none.env").string()});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_THAT(no_file.err, HasSubstr("no such file"));
  ExpectNothingLeaked();
}

TEST_F(CheckLocalCliTest, DotenvBackEndFailsByDesign) {
  const std::string env_file = WriteFile("dev.env", "JWT_SECRET=" + std::string(kCheckDotenv));
  ProcessResult result = RunWith({"HOME=" + dir_.path().string(), "SECRETS_BACKEND=dotenv",
                                  "LOCKSMITH_DOTENV_FILE=" + env_file},
                                 {"check"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.out, HasSubstr("FAIL  env-secrets      SECRETS_BACKEND=dotenv"));
  EXPECT_THAT(result.out, HasSubstr("JWT_SECRET (jwt-secret) at " + env_file + ":1"));
  ExpectNothingLeaked();
}

// Vault: the operators' guide policy (read on the prefix) against one reaching the whole mount.
class CheckVaultCliTest : public CheckCliBase {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "vault test server did not start";
    int status = 0;
    server_.Admin("POST", "/v1/secret/data/agentauri-backend/production/jwt-secret",
                  {{"data", {{"value", kCheckJwt}}}}, "", &status);
    ASSERT_EQ(status, 200);
  }

  ProcessResult Check(const std::string& role, const std::string& hcl) {
    auto [role_id, secret_id] = server_.MakeAppRole(role, role + "-policy", hcl);
    secret_ids_.push_back(secret_id);
    return RunWith(
        {"HOME=" + dir_.path().string(), "SECRETS_BACKEND=vault", "VAULT_ADDR=" + server_.addr(),
         "VAULT_MOUNT_PATH=secret/agentauri-backend/production", "VAULT_ROLE_ID=" + role_id,
         "VAULT_SECRET_ID=" + secret_id,
         "LOCKSMITH_DOTENV_FILE=" + (dir_.path() / "absent.env").string(),
         "LOCKSMITH_RETRY_BASE_DELAY=5ms", "LOCKSMITH_RETRY_MAX_DELAY=20ms"},
        // The test server's clock stands still at a date in the past: the secret written
        // through it is months old.
        {"check", "--json", "--max-age", "jwt-secret=3650d"});
  }

  testing::VaultTestServer server_;
  std::vector<std::string> secret_ids_;
};

TEST_F(CheckVaultCliTest, ReadOnlyPrefixPolicyPasses) {
  ProcessResult result = Check("service", R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
)");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  json item = Item(result, "least-privilege");
  EXPECT_EQ(item["status"], "ok");
  EXPECT_THAT(item["detail"].get<std::string>(),
              HasSubstr("write secret/data/agentauri-backend/locksmith-check-probe"));
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("list secret/metadata/"));
  EXPECT_EQ(Item(result, "secret-age")["status"], "ok");
  EXPECT_THAT(Item(result, "backend")["detail"].get<std::string>(),
              HasSubstr("listing denied by policy"));
  ExpectNothingLeaked(secret_ids_);
}

TEST_F(CheckVaultCliTest, MountWidePolicyFails) {
  ProcessResult result = Check("broad", R"(
path "secret/data/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/*" {
  capabilities = ["read", "list"]
}
)");
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  json item = Item(result, "least-privilege");
  EXPECT_EQ(item["status"], "fail");
  const std::string detail = item["detail"];
  EXPECT_THAT(detail, HasSubstr("write secret/data/agentauri-backend/locksmith-check-probe "
                                "(capabilities: create, read, update)"));
  EXPECT_THAT(detail, HasSubstr("write secret/data/agentauri-backend/production-locksmith-check-"
                                "probe"));
  // "secret/metadata/*" also matches the mount's root, as Vault's globs are prefixes.
  EXPECT_THAT(detail, HasSubstr("list secret/metadata/ (capabilities: list, read)"));
  EXPECT_THAT(detail, Not(HasSubstr("locksmith-check-probe/data/probe")));  // another mount
  ExpectNothingLeaked(secret_ids_);
}

// AWS: a credential whose policy is scoped to the prefix against one allowed everywhere.
class CheckAwsCliTest : public CheckCliBase {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "aws test server did not start"; }

  ProcessResult Check(const std::string& key, const std::string& secret) {
    return RunWith(
        {"HOME=" + dir_.path().string(), "SECRETS_BACKEND=aws", "AWS_REGION=eu-west-1",
         "AWS_ENDPOINT_URL=" + server_.url(), "AWS_SECRETS_PREFIX=agentauri-backend/production",
         "AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=" + key,
         "AWS_SECRET_ACCESS_KEY=" + secret,
         "LOCKSMITH_DOTENV_FILE=" + (dir_.path() / "absent.env").string(),
         "LOCKSMITH_RETRY_BASE_DELAY=5ms", "LOCKSMITH_RETRY_MAX_DELAY=20ms"},
        {"check", "--json"});
  }

  void AddKey(const std::string& key, const std::string& secret, const json& allow) {
    server_.Control("POST", "/_test/credentials",
                    {{"access_key", key}, {"secret_key", secret}, {"allow", allow}});
  }

  testing::AwsTestServer server_;
};

TEST_F(CheckAwsCliTest, PrefixScopedCredentialPassesAndUnscopedFails) {
  // Seeded with the server's default (unrestricted) key.
  ProcessResult seeded =
      RunWith({"HOME=" + dir_.path().string(), "SECRETS_BACKEND=aws", "AWS_REGION=eu-west-1",
               "AWS_ENDPOINT_URL=" + server_.url(),
               "AWS_SECRETS_PREFIX=agentauri-backend/production", "AWS_EC2_METADATA_DISABLED=true",
               std::string("AWS_ACCESS_KEY_ID=") + testing::kAwsTestAccessKey,
               std::string("AWS_SECRET_ACCESS_KEY=") + testing::kAwsTestSecretKey},
              {"put", "jwt-secret"}, kCheckJwt);
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  const std::string scoped_arn =
      "arn:aws:secretsmanager:*:123456789012:secret:"
      "agentauri-backend/production/*";
  const std::string scoped_secret = "planted-check-scoped-aws-key-Pd83";
  const std::string broad_secret = "planted-check-broad-aws-key-Gw16";
  AddKey("AKIDCHECKSCOPED", scoped_secret,
         json::array({{{"action", "GetSecretValue"}, {"resource", scoped_arn}},
                      {{"action", "DescribeSecret"}, {"resource", scoped_arn}},
                      {{"action", "PutSecretValue"}, {"resource", scoped_arn}}}));
  AddKey("AKIDCHECKBROAD", broad_secret, json::array({{{"action", "*"}, {"resource", "*"}}}));

  ProcessResult scoped = Check("AKIDCHECKSCOPED", scoped_secret);
  EXPECT_EQ(scoped.exit_code, 0) << scoped.out << scoped.err;
  json item = Item(scoped, "least-privilege");
  EXPECT_EQ(item["status"], "ok");
  EXPECT_THAT(item["detail"].get<std::string>(),
              HasSubstr("write agentauri-backend/locksmith-check-probe-"));
  EXPECT_EQ(Item(scoped, "secret-age")["status"], "ok");

  ProcessResult broad = Check("AKIDCHECKBROAD", broad_secret);
  EXPECT_EQ(broad.exit_code, 1) << broad.out << broad.err;
  item = Item(broad, "least-privilege");
  EXPECT_EQ(item["status"], "fail");
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("ResourceNotFoundException"));
  EXPECT_THAT(item["detail"].get<std::string>(), HasSubstr("ListSecrets is allowed"));
  // Nothing was written outside the prefix.
  json listed = server_.Control("GET", "/_test/stats");
  EXPECT_EQ(listed["ops"].value("CreateSecret", 0), 1) << listed;
  ExpectNothingLeaked({scoped_secret, broad_secret, testing::kAwsTestSecretKey});
}

}  // namespace
}  // namespace locksmith
