// ReencryptionJob against a real PostgreSQL (a throwaway cluster per test binary): TEXT and BYTEA
// columns, reruns, rows it must leave alone, compare-and-set against a concurrent write, dry run,
// catalogue errors, permissions, and errors that never carry the DSN.
#include "locksmith/reencryption_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <string>

#include "core/crypto.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/metrics.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "reencrypt/reencrypt_test_util.h"
#include "reencrypt/shared_cluster_test.h"
#include "support/postgres_cluster.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

// column value per row id (nullopt: NULL), as PostgreSQL's text output (bytea as hex).
using TableSnapshot = std::map<std::string, std::optional<std::string>>;

class ReencryptionJobTest : public reencrypt_test::SharedClusterTest {
 protected:
  ReencryptionJobTest() : SharedClusterTest("t_") {}

  void SetUp() override {
    SharedClusterTest::SetUp();
    if (HasFatalFailure()) {
      return;
    }
    old_ring_ = Ring({"v1"});
    new_ring_ = Ring({"v2", "v1"});
  }

  EncryptionKeyRingPtr Ring(const std::vector<std::string>& versions) {
    auto ring = reencrypt_test::FixedTestRing(versions, random_);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }

  void Exec(const std::string& sql) {
    pqxx::nontransaction txn(*db_);
    txn.exec(sql);
  }

  // id bigint primary key, enc TEXT or BYTEA.
  void CreateTable(const std::string& type) {
    Exec("CREATE TABLE " + table_ + " (id bigint PRIMARY KEY, enc " + type + ")");
  }

  std::string Context(long id) const { return table_ + ".enc." + std::to_string(id); }

  void InsertText(long id, const std::optional<std::string>& value) {
    pqxx::nontransaction txn(*db_);
    if (value) {
      txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, $2)", id, *value);
    } else {
      txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, NULL)", id);
    }
  }
  void InsertBytes(long id, const std::vector<std::uint8_t>& value) {
    pqxx::nontransaction txn(*db_);
    txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, decode($2, 'hex'))", id,
                    internal::HexEncode(value));
  }
  std::string Plaintext(long id) const { return "user" + std::to_string(id) + "@example.com"; }

  TableSnapshot Snapshot() {
    pqxx::nontransaction txn(*db_);
    TableSnapshot out;
    for (const auto& row : txn.exec("SELECT id::text, CASE WHEN pg_typeof(enc) = 'bytea'::regtype "
                                    "THEN encode(enc::bytea, 'hex') ELSE enc::text END FROM " +
                                    table_)) {
      out[row[0].as<std::string>()] =
          row[1].is_null() ? std::nullopt : std::optional<std::string>(row[1].as<std::string>());
    }
    return out;
  }

  ReencryptionOptions Options() const {
    ReencryptionOptions options;
    options.table = table_;
    options.column = "enc";
    options.batch_size = 7;
    return options;
  }

  Result<ReencryptionReport> RunJob(ReencryptionOptions options,
                                    const std::string& user = "postgres") {
    auto job =
        ReencryptionJob::Create(SecretValue(cluster_->Dsn(user)), *new_ring_, std::move(options));
    if (!job.ok()) {
      return job.error();
    }
    return (*job)->Run();
  }

  std::string NewPrefix() const { return "ls1:" + EncryptionKeyId("v2") + ":"; }

  testing::FakeRandom random_;
  EncryptionKeyRingPtr old_ring_;
  EncryptionKeyRingPtr new_ring_;
};

TEST_F(ReencryptionJobTest, TextColumnMovesEveryRowToThePrimaryAndARerunDoesNothing) {
  CreateTable("text");
  for (long id = 1; id <= 30; ++id) {
    // Rows 1-3 were already written by an instance on the new key.
    EncryptionKeyRing& ring = id <= 3 ? *new_ring_ : *old_ring_;
    auto value = ring.EncryptText(internal::AsBytes(Plaintext(id)), Context(id));
    ASSERT_THAT(value, IsOk());
    InsertText(id, *value);
  }
  const TableSnapshot before = Snapshot();
  auto report = RunJob(Options());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_total, 30u);
  EXPECT_EQ(report->rows_already_current, 3u);
  EXPECT_EQ(report->rows_scanned, 27u);
  EXPECT_EQ(report->rows_reencrypted, 27u);
  EXPECT_EQ(report->rows_changed_concurrently, 0u);
  EXPECT_TRUE(report->Complete());

  const TableSnapshot after = Snapshot();
  ASSERT_EQ(after.size(), 30u);
  for (const auto& [id, value] : after) {
    ASSERT_TRUE(value.has_value());
    EXPECT_THAT(*value, ::testing::StartsWith(NewPrefix())) << "row " << id;
    auto plaintext = new_ring_->DecryptText(*value, Context(std::stol(id)));
    ASSERT_THAT(plaintext, IsOk()) << "row " << id;
    EXPECT_TRUE(plaintext->Equals(Plaintext(std::stol(id))));
    if (std::stol(id) <= 3) {
      EXPECT_EQ(value, before.at(id)) << "a row already on the primary is not rewritten";
    }
  }

  auto rerun = RunJob(Options());
  ASSERT_THAT(rerun, IsOk());
  EXPECT_EQ(rerun->rows_already_current, 30u);
  EXPECT_EQ(rerun->rows_scanned, 0u);
  EXPECT_EQ(rerun->rows_reencrypted, 0u);
  EXPECT_EQ(Snapshot(), after);
}

TEST_F(ReencryptionJobTest, ByteaColumnMovesEveryRowToThePrimary) {
  CreateTable("bytea");
  for (long id = 1; id <= 20; ++id) {
    auto value = old_ring_->EncryptBinary(internal::AsBytes(Plaintext(id)), Context(id));
    ASSERT_THAT(value, IsOk());
    InsertBytes(id, *value);
  }
  auto report = RunJob(Options());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 20u);
  const std::string new_prefix_hex = "01" + EncryptionKeyId("v2");
  for (const auto& [id, value] : Snapshot()) {
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(value->substr(0, 10), new_prefix_hex) << "row " << id;
    auto bytes = internal::HexDecode(*value);
    ASSERT_THAT(bytes, IsOk());
    auto plaintext = new_ring_->DecryptBinary(*bytes, Context(std::stol(id)));
    ASSERT_THAT(plaintext, IsOk()) << "row " << id;
    EXPECT_TRUE(plaintext->Equals(Plaintext(std::stol(id))));
  }
  auto rerun = RunJob(Options());
  ASSERT_THAT(rerun, IsOk());
  EXPECT_EQ(rerun->rows_scanned, 0u);
}

TEST_F(ReencryptionJobTest, NullsPlaintextAndUndecryptableRowsAreReportedAndLeftAlone) {
  CreateTable("text");
  auto unknown_key_ring = Ring({"v0"});
  for (long id = 1; id <= 12; ++id) {
    std::optional<std::string> value;
    if (id == 2 || id == 9) {
      value = std::nullopt;
    } else if (id == 3) {
      value = "legacy-plaintext@example.com";
    } else if (id == 5) {  // a key the ring does not hold
      value = *unknown_key_ring->EncryptText(internal::AsBytes(Plaintext(id)), Context(id));
    } else if (id == 6) {  // copied from another row: wrong context
      value = *old_ring_->EncryptText(internal::AsBytes(Plaintext(id)), Context(1));
    } else if (id == 7) {  // corrupt
      value = *old_ring_->EncryptText(internal::AsBytes(Plaintext(id)), Context(id));
      (*value)[20] = (*value)[20] == 'A' ? 'B' : 'A';
    } else {
      value = *old_ring_->EncryptText(internal::AsBytes(Plaintext(id)), Context(id));
    }
    InsertText(id, value);
  }
  const TableSnapshot before = Snapshot();
  ReencryptionOptions options = Options();
  options.batch_size = 2;  // rows left alone must not stall the cursor
  auto report = RunJob(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 6u);
  EXPECT_THAT(report->null_ids.ids, ElementsAre("2", "9"));
  EXPECT_THAT(report->plaintext_ids.ids, ElementsAre("3"));
  EXPECT_THAT(report->undecryptable_ids.ids, ElementsAre("5", "6", "7"));
  EXPECT_EQ(report->undecryptable_ids.count, 3u);
  EXPECT_FALSE(report->Complete());
  const TableSnapshot after = Snapshot();
  for (const char* id : {"2", "3", "5", "6", "7", "9"}) {
    EXPECT_EQ(after.at(id), before.at(id)) << "row " << id << " changed";
  }

  // A rerun reports the same rows again and ends.
  auto rerun = RunJob(options);
  ASSERT_THAT(rerun, IsOk());
  EXPECT_EQ(rerun->rows_scanned, 6u);
  EXPECT_EQ(rerun->rows_reencrypted, 0u);
  EXPECT_THAT(rerun->undecryptable_ids.ids, ElementsAre("5", "6", "7"));

  options.max_reported_ids = 1;
  auto capped = RunJob(options);
  ASSERT_THAT(capped, IsOk());
  EXPECT_THAT(capped->undecryptable_ids.ids, ElementsAre("5"));
  EXPECT_EQ(capped->undecryptable_ids.count, 3u);
}

TEST_F(ReencryptionJobTest, MetricsCountRowsMovedRowsLeftAndRowsRemainingPerOldKey) {
  CreateTable("text");
  auto older_ring = Ring({"v0"});  // v0 is not in the job's ring: its rows stay on it
  for (long id = 1; id <= 10; ++id) {
    std::optional<std::string> value;
    if (id == 4) {
      value = std::nullopt;
    } else if (id == 5) {
      value = "legacy-plaintext@example.com";
    } else {
      EncryptionKeyRing& ring = id >= 8 ? *older_ring : *old_ring_;
      value = *ring.EncryptText(internal::AsBytes(Plaintext(id)), Context(id));
    }
    InsertText(id, value);
  }
  const std::unique_ptr<Metrics> metrics = Metrics::Create();
  ReencryptionOptions options = Options();
  options.batch_size = 3;
  options.metrics = metrics.get();
  std::vector<std::string> remaining_seen;  // the v1 gauge after each batch
  const std::string v1 = EncryptionKeyId("v1");
  const std::string v0 = EncryptionKeyId("v0");
  // prometheus-cpp sorts labels by name.
  const auto series = [&](const std::string& name, const std::string& extra) {
    return name + "{column=\"enc\"," + extra + "table=\"" + table_ + "\"} ";
  };
  const std::string v1_gauge =
      series("secrets_manager_reencryption_rows_remaining", "key_id=\"" + v1 + "\",");
  options.on_batch = [&](const ReencryptionReport&) {
    const std::string text = metrics->RenderText();
    const std::size_t at = text.find(v1_gauge);
    remaining_seen.push_back(
        at == std::string::npos
            ? "absent"
            : text.substr(at + v1_gauge.size(), text.find('\n', at) - at - v1_gauge.size()));
  };
  auto report = RunJob(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 5u);
  // v1 holds rows 1-3, 6 and 7. Batches: 1-3, 4-6 (4 NULL, 5 plaintext), 7-9 (8, 9 on v0), 10.
  EXPECT_THAT(remaining_seen, ElementsAre("2", "1", "0", "0"));

  const std::string text = metrics->RenderText();
  EXPECT_THAT(text, HasSubstr(series("secrets_manager_reencrypted_rows_total", "") + "5\n"));
  const std::string failures = "secrets_manager_reencryption_failures_total";
  EXPECT_THAT(text, HasSubstr(series(failures, "reason=\"undecryptable\",") + "3\n"));
  EXPECT_THAT(text, HasSubstr(series(failures, "reason=\"plaintext\",") + "1\n"));
  EXPECT_THAT(text, HasSubstr(series(failures, "reason=\"null\",") + "1\n"));
  EXPECT_THAT(text, HasSubstr(v1_gauge + "0\n"));
  EXPECT_THAT(text, HasSubstr(series("secrets_manager_reencryption_rows_remaining",
                                     "key_id=\"" + v0 + "\",") +
                              "3\n"));
  EXPECT_THAT(text, Not(HasSubstr("key_id=\"" + EncryptionKeyId("v2") + "\"")))
      << "the primary is never 'remaining'";

  // A dry run records nothing.
  const std::unique_ptr<Metrics> dry_metrics = Metrics::Create();
  ReencryptionOptions dry = Options();
  dry.dry_run = true;
  dry.metrics = dry_metrics.get();
  ASSERT_THAT(RunJob(dry), IsOk());
  EXPECT_THAT(dry_metrics->RenderText(), Not(HasSubstr("reencrypt")));
}

TEST_F(ReencryptionJobTest, ARowTheApplicationRewritesMeanwhileKeepsTheApplicationsValue) {
  CreateTable("text");
  for (long id = 1; id <= 5; ++id) {
    InsertText(id, *old_ring_->EncryptText(internal::AsBytes(Plaintext(id)), Context(id)));
  }
  // An application instance still on the old key rewrites row 4 after the job read it.
  const std::string app_value =
      *old_ring_->EncryptText(internal::AsBytes("changed@example.com"), Context(4));
  ReencryptionOptions options = Options();
  bool written = false;
  options.between_read_and_write_for_test = [&] {
    if (!written) {
      written = true;
      pqxx::connection app(cluster_->Dsn());
      pqxx::nontransaction txn(app);
      txn.exec_params("UPDATE " + table_ + " SET enc = $1 WHERE id = 4", app_value);
    }
  };
  auto report = RunJob(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 4u);
  EXPECT_EQ(report->rows_changed_concurrently, 1u);
  EXPECT_EQ(Snapshot().at("4"), app_value) << "the job overwrote the application's write";

  // The next run moves the application's value (it is on the old key), not the stale one.
  auto rerun = RunJob(Options());
  ASSERT_THAT(rerun, IsOk());
  EXPECT_EQ(rerun->rows_reencrypted, 1u);
  auto plaintext = new_ring_->DecryptText(*Snapshot().at("4"), Context(4));
  ASSERT_THAT(plaintext, IsOk());
  EXPECT_TRUE(plaintext->Equals("changed@example.com"));
}

TEST_F(ReencryptionJobTest, DryRunWritesNothing) {
  CreateTable("text");
  for (long id = 1; id <= 10; ++id) {
    InsertText(id, *old_ring_->EncryptText(internal::AsBytes(Plaintext(id)), Context(id)));
  }
  InsertText(11, "plain");
  const TableSnapshot before = Snapshot();
  ReencryptionOptions options = Options();
  options.dry_run = true;
  int batches = 0;
  options.on_batch = [&](const ReencryptionReport&) { ++batches; };
  auto report = RunJob(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 10u);
  EXPECT_THAT(report->plaintext_ids.ids, ElementsAre("11"));
  EXPECT_EQ(batches, 2);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(ReencryptionJobTest, NamesAreQuotedNotPasted) {
  table_ = "odd \"table\"; drop";
  Exec(R"(CREATE TABLE "odd ""table""; drop" ("row id" bigint PRIMARY KEY, "enc col" text))");
  pqxx::nontransaction txn(*db_);
  const std::string context = "c-1";
  txn.exec_params(R"(INSERT INTO "odd ""table""; drop" VALUES (1, $1))",
                  *old_ring_->EncryptText(internal::AsBytes("x"), context));
  ReencryptionOptions options;
  options.table = table_;
  options.column = "enc col";
  options.id_column = "row id";
  options.context_template = "c-{id}";
  auto report = RunJob(options);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 1u);
}

TEST_F(ReencryptionJobTest, CatalogueProblemsAreInvalidArgument) {
  Exec("CREATE TABLE " + table_ + " (id bigint PRIMARY KEY, enc text, n integer)");
  Exec("CREATE TABLE " + table_ + "_noindex (id bigint, enc text)");
  ReencryptionOptions options = Options();
  options.table = table_ + "_missing";
  EXPECT_THAT(RunJob(options), HasErrorMessage(ErrorCode::kInvalidArgument, "no table"));
  options = Options();
  options.column = "missing";
  EXPECT_THAT(RunJob(options), HasErrorMessage(ErrorCode::kInvalidArgument, "no column"));
  options.column = "n";
  EXPECT_THAT(RunJob(options), HasErrorMessage(ErrorCode::kInvalidArgument, "type int4"));
  options = Options();
  options.id_column = "enc";  // text, but not unique
  EXPECT_THAT(RunJob(options), HasErrorMessage(ErrorCode::kInvalidArgument, "unique"));
  options = Options();
  options.table = table_ + "_noindex";
  EXPECT_THAT(RunJob(options), HasErrorMessage(ErrorCode::kInvalidArgument, "unique"));
  options = Options();
  options.table = "public." + table_;
  EXPECT_THAT(RunJob(options), IsOk());
}

TEST_F(ReencryptionJobTest, ARoleWithoutUpdateIsPermissionDeniedAndMayStillDryRun) {
  CreateTable("text");
  InsertText(1, *old_ring_->EncryptText(internal::AsBytes(Plaintext(1)), Context(1)));
  Exec("CREATE ROLE job_reader LOGIN");
  Exec("CREATE ROLE job_nobody LOGIN");
  Exec("GRANT SELECT ON " + table_ + " TO job_reader");
  const TableSnapshot before = Snapshot();
  EXPECT_THAT(RunJob(Options(), "job_reader"),
              HasErrorMessage(ErrorCode::kPermissionDenied, "may not update"));
  EXPECT_THAT(RunJob(Options(), "job_nobody"),
              HasErrorMessage(ErrorCode::kPermissionDenied, "may not read"));
  ReencryptionOptions dry = Options();
  dry.dry_run = true;
  auto report = RunJob(dry, "job_reader");
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_reencrypted, 1u);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(ReencryptionJobTest, ConnectionErrorsNeverRepeatTheDsn) {
  ReencryptionOptions options = Options();
  auto unreachable = ReencryptionJob::Create(
      SecretValue("host=/nonexistent/dir port=5432 dbname=x user=u password=PLANTED-pw"),
      *new_ring_, options);
  ASSERT_THAT(unreachable, IsOk());
  auto result = (*unreachable)->Run();
  EXPECT_THAT(result, HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(result.error().message, Not(HasSubstr("PLANTED")));
  EXPECT_THAT(result.error().message, Not(HasSubstr("nonexistent")));

  auto malformed =
      ReencryptionJob::Create(SecretValue("host=x password=PLANTED-pw junk"), *new_ring_, options);
  EXPECT_THAT(malformed, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(malformed.error().message, Not(HasSubstr("PLANTED")));

  EXPECT_THAT(RunJob(Options(), "no_such_role"), HasError(ErrorCode::kUnauthenticated));
}

TEST_F(ReencryptionJobTest, BadOptionsAreRefusedBeforeConnecting) {
  ReencryptionOptions options = Options();
  options.batch_size = 0;
  EXPECT_THAT(ReencryptionJob::Create(SecretValue(cluster_->Dsn()), *new_ring_, options),
              HasError(ErrorCode::kInvalidArgument));
  options = Options();
  options.context_template = "{table}.{column}";
  EXPECT_THAT(ReencryptionJob::Create(SecretValue(cluster_->Dsn()), *new_ring_, options),
              HasErrorMessage(ErrorCode::kInvalidArgument, "{id}"));
}

}  // namespace
}  // namespace locksmith
