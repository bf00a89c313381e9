// `locksmith reencrypt` through the real program against a real PostgreSQL (one throwaway cluster
// per test process) and the embedded store: re-encryption, dry run, --verify before and after with
// --retiring, the exit codes (1 rows left, 2 usage and a DSN with a password, 4 denied, 5 database
// unreachable), and a leak scan: no plaintext, no key material and no DSN password in anything the
// program printed, nor on any argv.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "local_store_env.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/postgres_cluster.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::ChildProcess;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using testing::PostgresCluster;
using testing::ProcessResult;

constexpr char kReencryptCli[] = LOCKSMITH_CLI_PATH;
constexpr char kDsnPassword[] = "dsn-pw-PLANTED-7f3a";

class ReencryptCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Shared();
    ASSERT_THAT(cluster, IsOk());
    cluster_ = *cluster;
    db_ = std::make_unique<pqxx::connection>(cluster_->Dsn());
    needles_.push_back(kDsnPassword);
    // Run all in one process, the tests share the cluster.
    Exec("DROP TABLE IF EXISTS users");
  }

  void TearDown() override {
    const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured_, needles_);
    EXPECT_GT(scanned, 0u);
  }

  std::vector<std::string> Env(const std::vector<std::string>& extra = {}) const {
    return testing::LocalStoreEnv(dir_.path(), extra);
  }

  ProcessResult Run(std::vector<std::string> args, std::vector<std::string> extra_env = {}) {
    args.insert(args.begin(), kReencryptCli);
    ChildProcess child(args, Env(std::move(extra_env)));
    EXPECT_TRUE(child.started());
    ProcessResult result = child.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    return result;
  }

  static std::string TrimLine(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
      s.pop_back();
    }
    return s;
  }

  // `rotate db-encryption-key`, then the new key as the test's own ring sees it (read with an
  // unscanned `get`; the material joins the needles, raw bytes' hex too).
  EncryptionKeyMaterial RotateKey() {
    ProcessResult rotate = Run({"rotate", "db-encryption-key"});
    EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
    ChildProcess get({kReencryptCli, "get", "db-encryption-key"}, Env());
    ProcessResult value = get.Finish();
    EXPECT_EQ(value.exit_code, 0) << value.err;
    const std::string material = TrimLine(value.out);
    needles_.push_back(material);
    if (auto raw = internal::Base64Decode(material); raw.ok()) {
      needles_.push_back(internal::HexEncode(*raw));
    }
    return {TrimLine(rotate.out), SecretValue(material)};
  }

  EncryptionKeyRingPtr Ring(EncryptionKeyMaterial key) {
    std::vector<EncryptionKeyMaterial> keys;
    keys.push_back(std::move(key));
    auto ring = EncryptionKeyRing::FromKeys(std::move(keys), {}, random_, nullptr);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }

  void Exec(const std::string& sql) {
    pqxx::nontransaction txn(*db_);
    txn.exec(sql);
  }

  static std::string Plaintext(long id) { return "user" + std::to_string(id) + "-PLANTED@x.test"; }

  // users(id, encrypted_email TEXT): rows 1..n encrypted with `ring` under
  // users.encrypted_email.id.
  void CreateUsers(EncryptionKeyRing& ring, long n) {
    Exec("CREATE TABLE users (id bigint PRIMARY KEY, encrypted_email text)");
    pqxx::nontransaction txn(*db_);
    for (long id = 1; id <= n; ++id) {
      needles_.push_back(Plaintext(id));
      auto value = ring.EncryptText(internal::AsBytes(Plaintext(id)),
                                    "users.encrypted_email." + std::to_string(id));
      ASSERT_THAT(value, IsOk());
      txn.exec_params("INSERT INTO users VALUES ($1, $2)", id, *value);
    }
  }

  // How many rows are under each "ls1:<key id>:" prefix.
  long RowsOnKey(const std::string& key_id) {
    pqxx::nontransaction txn(*db_);
    return txn
        .exec_params1(
            "SELECT count(*) FROM users WHERE split_part(encrypted_email, ':', 2) "
            "= $1",
            key_id)[0]
        .as<long>();
  }

  std::vector<std::string> Target() const {
    return {"--dsn", cluster_->Dsn(), "--table", "users", "--column", "encrypted_email"};
  }
  std::vector<std::string> With(std::vector<std::string> head,
                                const std::vector<std::string>& tail) const {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }

  PostgresCluster* cluster_ = nullptr;
  std::unique_ptr<pqxx::connection> db_;
  testing::TempDir dir_;
  testing::FakeRandom random_;
  std::vector<std::string> captured_;
  std::vector<std::string> needles_;
};

TEST_F(ReencryptCliTest, VerifyDryRunReencryptVerifyAgainAndRetire) {
  EncryptionKeyMaterial v1 = RotateKey();
  const std::string k1 = EncryptionKeyId(v1.version_id);
  EncryptionKeyRingPtr old_ring = Ring(std::move(v1));
  CreateUsers(*old_ring, 25);
  Exec("INSERT INTO users VALUES (26, NULL)");  // reported; not a failure with --allow-nulls
  EncryptionKeyMaterial v2 = RotateKey();
  const std::string k2 = EncryptionKeyId(v2.version_id);
  EncryptionKeyRingPtr new_ring = Ring(std::move(v2));

  // Before: every row on k1, still in the ring as previous; retiring it is not safe.
  ProcessResult before = Run(With({"reencrypt"}, With(Target(), {"--verify", "--retiring", k1})));
  EXPECT_EQ(before.exit_code, 1) << before.err;
  EXPECT_THAT(before.out, HasSubstr("key " + k1));
  EXPECT_THAT(before.out, ContainsRegex("25   in ring \\(retiring\\)"));
  EXPECT_THAT(before.err, HasSubstr("25 rows are still on " + k1));
  EXPECT_THAT(before.out, Not(HasSubstr("safe to retire")));

  // Dry run: reports what it would do, writes nothing.
  ProcessResult dry =
      Run(With({"reencrypt"}, With(Target(), {"--dry-run", "--allow-nulls", "--batch-size", "4"})));
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("dry run: nothing written"));
  EXPECT_THAT(dry.out, ContainsRegex("would re-encrypt +25\n"));
  EXPECT_EQ(RowsOnKey(k1), 25);

  // The run (DSN and its password from --dsn-env; trust authentication ignores the password).
  ProcessResult run = Run(
      {"reencrypt", "--dsn-env", "DATABASE_URL", "--table", "users", "--column", "encrypted_email",
       "--batch-size", "4", "--max-rows-per-second", "100000", "--allow-nulls"},
      {"DATABASE_URL=" + cluster_->Dsn() + " password=" + kDsnPassword});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("onto key " + k2));
  EXPECT_THAT(run.out, ContainsRegex("re-encrypted +25\n"));
  EXPECT_THAT(run.out, ContainsRegex("NULL \\(left alone\\) +1   ids: 26\n"));
  // Not a terminal: plain progress lines, no bar, no carriage returns.
  EXPECT_THAT(run.err, HasSubstr("reencrypt: "));
  EXPECT_THAT(run.err, HasSubstr("/26 rows"));
  EXPECT_THAT(run.err, Not(HasSubstr("\r")));
  EXPECT_EQ(RowsOnKey(k2), 25);
  pqxx::nontransaction txn(*db_);
  for (const auto& row : txn.exec("SELECT id, encrypted_email FROM users WHERE id <= 25")) {
    const long id = row[0].as<long>();
    auto plaintext = new_ring->DecryptText(row[1].as<std::string>(),
                                           "users.encrypted_email." + std::to_string(id));
    ASSERT_THAT(plaintext, IsOk());
    EXPECT_EQ(plaintext->RevealUnsafe(), Plaintext(id));
  }

  // After: safe to retire k1.
  ProcessResult after = Run(With({"reencrypt"}, With(Target(), {"--verify", "--retiring", k1})));
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.out, HasSubstr("safe to retire " + k1));
  EXPECT_THAT(after.out, ContainsRegex("NULL +1\n"));
  // The primary itself is never safe to retire.
  ProcessResult primary = Run(With({"reencrypt"}, With(Target(), {"--verify", "--retiring", k2})));
  EXPECT_EQ(primary.exit_code, 1);
  EXPECT_THAT(primary.err, HasSubstr("is the primary key"));
}

TEST_F(ReencryptCliTest, ACorruptRowIsReportedByIdAndExitsOne) {
  RotateKey();
  EncryptionKeyMaterial v2 = RotateKey();
  EncryptionKeyRingPtr ring = Ring(std::move(v2));
  CreateUsers(*ring, 3);
  Exec("INSERT INTO users VALUES (4, 'ls1:0badc0de:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==')");
  ProcessResult run = Run(With({"reencrypt"}, Target()));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, ContainsRegex("undecryptable +1   ids: 4\n"));
  EXPECT_THAT(run.err, HasSubstr("1 undecryptable"));
  ProcessResult verify = Run(With({"reencrypt"}, With(Target(), {"--verify"})));
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.out, HasSubstr("key 0badc0de"));
  EXPECT_THAT(verify.out, HasSubstr("NOT IN RING"));
  EXPECT_THAT(verify.err, HasSubstr("1 rows are on keys not in the ring"));
}

TEST_F(ReencryptCliTest, NullRowsAreReportedByIdTheOthersMovedAndTheExitCodeIsOne) {
  RotateKey();
  EncryptionKeyMaterial v2 = RotateKey();
  const std::string k2 = EncryptionKeyId(v2.version_id);
  CreateUsers(*Ring(std::move(v2)), 5);
  Exec("INSERT INTO users VALUES (6, NULL), (9, NULL)");
  EncryptionKeyMaterial v3 = RotateKey();
  const std::string k3 = EncryptionKeyId(v3.version_id);
  ProcessResult run = Run(With({"reencrypt"}, With(Target(), {"--batch-size", "2"})));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, ContainsRegex("re-encrypted +5\n"));
  EXPECT_THAT(run.out, ContainsRegex("NULL \\(left alone\\) +2   ids: 6, 9\n"));
  EXPECT_THAT(run.err, HasSubstr("2 NULL rows left as they are"));
  EXPECT_THAT(run.err, HasSubstr("--allow-nulls"));
  EXPECT_EQ(RowsOnKey(k3), 5);
  EXPECT_EQ(RowsOnKey(k2), 0);
  // Where NULL is legitimate: the same report, exit 0.
  ProcessResult allowed = Run(With({"reencrypt"}, With(Target(), {"--allow-nulls"})));
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.out, ContainsRegex("NULL \\(left alone\\) +2   ids: 6, 9\n"));
}

TEST_F(ReencryptCliTest, UsageErrorsExitTwoAndADsnPasswordIsNeverEchoed) {
  RotateKey();
  const std::string with_password = cluster_->Dsn() + " password=" + kDsnPassword;
  ProcessResult password =
      Run({"reencrypt", "--dsn", with_password, "--table", "users", "--column", "encrypted_email"});
  // (This argv is a test of the refusal: the leak scan of argvs skips the needle here.)
  testing::SpawnedArgvs().pop_back();
  EXPECT_EQ(password.exit_code, 2);
  EXPECT_THAT(password.err, HasSubstr("--dsn holds a password"));
  EXPECT_THAT(password.err, HasSubstr("--dsn-env"));
  const std::string uri = "postgresql://app:" + std::string(kDsnPassword) + "@localhost/app";
  ProcessResult uri_password =
      Run({"reencrypt", "--dsn", uri, "--table", "users", "--column", "encrypted_email"});
  testing::SpawnedArgvs().pop_back();
  EXPECT_EQ(uri_password.exit_code, 2);

  EXPECT_EQ(Run({"reencrypt", "--table", "users", "--column", "c"}).exit_code, 2);  // no DSN
  EXPECT_EQ(Run(With({"reencrypt"}, With(Target(), {"--batch-size", "0"}))).exit_code, 2);
  EXPECT_EQ(Run(With({"reencrypt"}, With(Target(), {"--retiring", "0badc0de"}))).exit_code, 2);
  EXPECT_EQ(Run(With({"reencrypt"}, With(Target(), {"--verify", "--retiring", "v1"}))).exit_code,
            2);
  EXPECT_EQ(Run({"reencrypt", "--dsn-env", "NOT_SET_ANYWHERE", "--table", "users", "--column", "c"})
                .exit_code,
            2);
}

TEST_F(ReencryptCliTest, PermissionDeniedExitsFourAndAnUnreachableDatabaseFive) {
  EncryptionKeyRingPtr ring = Ring(RotateKey());
  CreateUsers(*ring, 2);
  Exec("DROP ROLE IF EXISTS cli_nobody");
  Exec("CREATE ROLE cli_nobody LOGIN");
  ProcessResult denied = Run({"reencrypt", "--dsn", cluster_->Dsn("cli_nobody"), "--table", "users",
                              "--column", "encrypted_email"});
  EXPECT_EQ(denied.exit_code, 4) << denied.err;
  ProcessResult unreachable = Run({"reencrypt", "--dsn",
                                   "host=" + (dir_.path() / "no-server").string() +
                                       " port=1 dbname=app user=app connect_timeout=2",
                                   "--table", "users", "--column", "encrypted_email"});
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.err;
}

}  // namespace
}  // namespace locksmith
