// `locksmith import` through the real program: on the embedded store (the whole flow, bad input,
// --only, --prefix, --dry-run, idempotence) and on the Vault test server with a policy that lets
// one secret be written and not another. Every captured output is scanned for the planted values;
// values read back are compared without printing them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "integration/local_store_env.h"
#include "providers/vault/vault_test_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

constexpr char kImportCli[] = LOCKSMITH_CLI_PATH;
constexpr char kImportDb[] = "planted-db-pw-Ka71";
constexpr char kImportJwt[] = "planted-jwt-Lb62";
constexpr char kImportKeyLine1[] = "planted-key-line-Mc53";
constexpr char kImportKeyLine2[] = "planted-key-line-Nd44";
constexpr char kImportPort[] = "18080";

// A guide-style .env: its own names (DB_PASSWORD), a multi-line key, configuration that is not
// a secret.
std::string GuideEnvFile() {
  return std::string("# service configuration\n") +    // 1
         "PORT=" + kImportPort + "\n" +                // 2
         "SECRETS_BACKEND=local\n" +                   // 3
         "DB_PASSWORD=" + kImportDb + "\n" +           // 4
         "export JWT_SECRET='" + kImportJwt + "'\n" +  // 5
         "DB_ENCRYPTION_KEY=\"" + kImportKeyLine1 +    // 6
         "\n" + kImportKeyLine2 + "\"\n";              // 7
}

class ImportBase : public ::testing::Test {
 protected:
  virtual std::vector<std::string> Env() const = 0;

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), kImportCli);
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    ProcessResult result = child.Finish();
    captured_.push_back(result.err);
    return result;
  }
  // For output that may not contain any planted value (everything but get's stdout).
  ProcessResult RunClean(std::vector<std::string> args) {
    ProcessResult result = Run(std::move(args));
    captured_.push_back(result.out);
    return result;
  }

  // Whether `get name` prints exactly `value` (compared here, never printed).
  bool Holds(const std::string& name, const std::string& value) {
    ProcessResult get = Run({"get", name});
    return get.exit_code == 0 && get.out == value + "\n";
  }

  std::size_t VersionCount(const std::string& name) {
    ProcessResult describe = RunClean({"describe", name, "--json"});
    if (describe.exit_code != 0) {
      return 0;
    }
    return nlohmann::json::parse(describe.out)["Versions"].size();
  }

  void WriteEnvFile(const std::string& text) { std::ofstream(env_file_) << text; }

  void TearDown() override {
    std::size_t scanned = testing::ExpectNoNeedleLeaked(
        captured_, {kImportDb, kImportJwt, kImportKeyLine1, kImportKeyLine2, "planted"});
    EXPECT_GT(scanned, 0u);
  }

  testing::TempDir dir_;
  std::filesystem::path env_file_ = dir_.path() / "app" / ".env";
  std::vector<std::string> captured_;
};

class ImportCliTest : public ImportBase {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(env_file_.parent_path());
    WriteEnvFile(GuideEnvFile());
  }
  std::vector<std::string> Env() const override { return testing::LocalStoreEnv(dir_.path()); }
};

TEST_F(ImportCliTest, ImportsAGuideEnvFileVerifiesAndPrintsTheLinesToDelete) {
  ProcessResult import = RunClean({"import", env_file_.string()});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_THAT(import.out, HasSubstr("into local\n"));
  EXPECT_THAT(import.out, HasSubstr("imported     database-password <- DB_PASSWORD (line 4): "
                                    "version "));
  EXPECT_THAT(import.out, HasSubstr("read back and verified"));
  EXPECT_THAT(import.out, HasSubstr("imported     db-encryption-key <- DB_ENCRYPTION_KEY "
                                    "(lines 6-7)"));
  EXPECT_THAT(import.out, HasSubstr("skipped      PORT (line 2): not named like a secret"));
  EXPECT_THAT(import.out, HasSubstr("skipped      SECRETS_BACKEND (line 3): locksmith's own"));
  EXPECT_THAT(import.out, HasSubstr("3 imported, 0 unchanged, 0 failed, 2 skipped"));
  EXPECT_THAT(import.out, HasSubstr("  line 4: DB_PASSWORD\n  line 5: JWT_SECRET\n"
                                    "  lines 6-7: DB_ENCRYPTION_KEY\n"));
  EXPECT_THAT(import.out, HasSubstr("locksmith check"));
  EXPECT_TRUE(Holds("database-password", kImportDb));
  EXPECT_TRUE(Holds("jwt-secret", kImportJwt));
  EXPECT_TRUE(Holds("db-encryption-key", std::string(kImportKeyLine1) + "\n" + kImportKeyLine2));
  EXPECT_EQ(Run({"get", "port"}).exit_code, 3);

  // Again: nothing written, every secret unchanged.
  ProcessResult again = RunClean({"import", env_file_.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 imported, 3 unchanged, 0 failed"));
  EXPECT_EQ(VersionCount("database-password"), 1u);
  EXPECT_EQ(VersionCount("jwt-secret"), 1u);
  EXPECT_EQ(VersionCount("db-encryption-key"), 1u);

  // A changed value is a new version.
  WriteEnvFile("DB_PASSWORD=" + std::string(kImportDb) + "-2\n");
  ProcessResult changed = RunClean({"import", env_file_.string()});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(VersionCount("database-password"), 2u);
  EXPECT_TRUE(Holds("database-password", std::string(kImportDb) + "-2"));
}

TEST_F(ImportCliTest, DryRunWritesNothing) {
  ProcessResult dry = RunClean({"import", "--dry-run", env_file_.string()});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("Dry run (nothing is written)"));
  EXPECT_THAT(dry.out, HasSubstr("would import database-password <- DB_PASSWORD (line 4): "
                                 "a new secret"));
  EXPECT_THAT(dry.out, HasSubstr("3 to import"));
  EXPECT_THAT(dry.out, HasSubstr("After the import, delete these lines"));
  ProcessResult list = RunClean({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "");
}

TEST_F(ImportCliTest, OnlyAndPrefix) {
  ProcessResult import = RunClean({"import", env_file_.string(), "--prefix", "billing", "--only",
                                   "PORT", "--only", "jwt-secret"});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_THAT(import.out, HasSubstr("skipped      DB_PASSWORD (line 4): not named by --only"));
  ProcessResult list = RunClean({"list"});
  EXPECT_EQ(list.out, "billing/jwt-secret\nbilling/port\n");
  EXPECT_TRUE(Holds("billing/port", kImportPort));
  EXPECT_TRUE(Holds("billing/jwt-secret", kImportJwt));

  ProcessResult unknown = RunClean({"import", env_file_.string(), "--only", "no-such-secret"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--only no-such-secret: no such variable"));
  EXPECT_EQ(VersionCount("database-password"), 0u);  // nothing written
}

TEST_F(ImportCliTest, BadInputIsAClearErrorAndWritesNothing) {
  WriteEnvFile(std::string("JWT_SECRET=") + kImportJwt + "\nDB_PASSWORD=\"" + kImportDb +
               "\nREDIS_PASSWORD=x\n");
  ProcessResult malformed = RunClean({"import", env_file_.string()});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr(".env:2: malformed line (unterminated double quote, "
                                       "variable DB_PASSWORD)"));
  EXPECT_EQ(RunClean({"list"}).out, "");

  ProcessResult missing = RunClean({"import", (dir_.path() / "nope.env").string()});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("nope.env"));

  ProcessResult no_file = RunClean({"import"});
  EXPECT_EQ(no_file.exit_code, 2);

  // Two variables of one secret that disagree: that secret fails, the others are imported.
  WriteEnvFile(std::string("DATABASE_PASSWORD=") + kImportDb + "\nDB_PASSWORD=" + kImportJwt +
               "x\nJWT_SECRET=" + kImportJwt + "\n");
  ProcessResult conflict = RunClean({"import", env_file_.string()});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_THAT(conflict.out, HasSubstr("FAILED       database-password <- DATABASE_PASSWORD "
                                      "(line 1), DB_PASSWORD (line 2): set by both"));
  EXPECT_THAT(conflict.out, HasSubstr("  line 3: JWT_SECRET\n"));
  EXPECT_THAT(conflict.out, Not(HasSubstr("line 1: DATABASE_PASSWORD")));
  EXPECT_THAT(conflict.err, HasSubstr("1 secret(s) not imported"));
  EXPECT_TRUE(Holds("jwt-secret", kImportJwt));
  EXPECT_EQ(VersionCount("database-password"), 0u);
}

TEST_F(ImportCliTest, TheDotenvBackEndIsNoTarget) {
  std::vector<std::string> env = {"HOME=" + dir_.path().string(), "SECRETS_BACKEND=dotenv",
                                  "LOCKSMITH_DOTENV_FILE=" + env_file_.string()};
  ChildProcess child({kImportCli, "import", env_file_.string()}, env);
  ProcessResult result = child.Finish();
  captured_.push_back(result.out);
  captured_.push_back(result.err);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("SECRETS_BACKEND=local, vault or aws"));
}

// Vault: a policy that may write jwt-secret but only read the rest.
constexpr char kImportMount[] = "secret/agentauri-backend/production";
const std::string kImportPartialPolicy = R"(
path "secret/data/agentauri-backend/production/jwt-secret" {
  capabilities = ["create", "read", "update"]
}
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
)";
const std::string kImportWriterPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
)";

class ImportVaultCliTest : public ImportBase {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "vault test server did not start";
    std::filesystem::create_directories(env_file_.parent_path());
    WriteEnvFile(std::string("DB_PASSWORD=") + kImportDb + "\nJWT_SECRET=" + kImportJwt + "\n");
    UseRole("partial", kImportPartialPolicy);
  }
  void UseRole(const std::string& policy, const std::string& hcl) {
    auto approle = server_.MakeAppRole("importer-" + policy, policy, hcl);
    role_id_ = approle.first;
    secret_id_ = approle.second;
  }
  std::vector<std::string> Env() const override {
    return {"HOME=" + dir_.path().string(),
            "SECRETS_BACKEND=vault",
            "VAULT_ADDR=" + server_.addr(),
            std::string("VAULT_MOUNT_PATH=") + kImportMount,
            "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
            "LOCKSMITH_RETRY_BASE_DELAY=5ms",
            "LOCKSMITH_RETRY_MAX_DELAY=20ms",
            "VAULT_CLIENT_TIMEOUT=5s",
            "VAULT_ROLE_ID=" + role_id_,
            "VAULT_SECRET_ID=" + secret_id_};
  }

  testing::VaultTestServer server_;
  std::string role_id_;
  std::string secret_id_;
};

TEST_F(ImportVaultCliTest, RefusedWriteFailsThatSecretAndTheRestIsImported) {
  ProcessResult partial = RunClean({"import", env_file_.string()});
  EXPECT_EQ(partial.exit_code, 4) << partial.err;  // permission denied
  EXPECT_THAT(partial.out, HasSubstr("into vault\n"));
  EXPECT_THAT(partial.out, HasSubstr("FAILED       database-password <- DB_PASSWORD (line 1): "
                                     "write refused"));
  EXPECT_THAT(partial.out, HasSubstr("imported     jwt-secret <- JWT_SECRET (line 2): version 1"));
  EXPECT_THAT(partial.out, HasSubstr("1 imported, 0 unchanged, 1 failed"));
  EXPECT_THAT(partial.out, HasSubstr("  line 2: JWT_SECRET\n"));
  EXPECT_THAT(partial.out, Not(HasSubstr("line 1: DB_PASSWORD")));
  EXPECT_THAT(partial.err, HasSubstr("1 secret(s) not imported"));
  EXPECT_TRUE(Holds("jwt-secret", kImportJwt));
  EXPECT_EQ(Run({"get", "database-password"}).exit_code, 3);

  // With the right to write, a rerun imports the rest and leaves jwt-secret alone.
  UseRole("writer", kImportWriterPolicy);
  ProcessResult rerun = RunClean({"import", env_file_.string()});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_THAT(rerun.out, HasSubstr("1 imported, 1 unchanged, 0 failed"));
  EXPECT_TRUE(Holds("database-password", kImportDb));
  EXPECT_EQ(VersionCount("jwt-secret"), 1u);
  EXPECT_EQ(VersionCount("database-password"), 1u);
}

}  // namespace
}  // namespace locksmith
