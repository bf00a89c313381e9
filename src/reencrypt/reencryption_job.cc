// ReencryptionJob over libpqxx: the batch loop. Each batch is a read (its own transaction), the
// crypto in memory, and one compare-and-set UPDATE (its own transaction); no transaction is held
// open while decrypting, and every committed batch is durable progress by itself.
#include "locksmith/reencryption_job.h"

#include <libpq-fe.h>

#include <optional>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "reencrypt/column_catalog.h"
#include "reencrypt/context_template.h"
#include "reencrypt/pg_error.h"
#include "reencrypt/reencrypt_sql.h"
#include "reencrypt/row_reencrypter.h"

namespace locksmith {
namespace {

using internal::CipherColumnKind;
using internal::ColumnInfo;
using internal::ContextTemplate;
using internal::GuardPg;
using internal::ReencryptSql;
using internal::RowOutcome;

// What the batch read returns for one row.
struct BatchRow {
  std::string id;
  std::optional<std::string> value;  // nullopt: SQL NULL
};

// Rows of a batch that will be written back.
struct BatchWrites {
  std::vector<std::string> ids;
  std::vector<std::string> old_values;
  std::vector<std::string> new_values;
};

void AddRowId(ReencryptionRowIds& ids, const std::string& id, std::size_t cap) {
  ++ids.count;
  if (ids.ids.size() < cap) {
    ids.ids.push_back(id);
  }
}

// The primary key's prefix as the SQL compares it: "ls1:<id>:" for TEXT, hex of 0x01 || id
// (5 bytes) for BYTEA, and its length in the column's units (characters / bytes).
std::pair<std::string, int> PrimaryPrefix(CipherColumnKind kind, const std::string& key_id) {
  if (kind == CipherColumnKind::kText) {
    std::string prefix = "ls1:" + key_id + ":";
    const int length = static_cast<int>(prefix.size());
    return {std::move(prefix), length};
  }
  return {"01" + key_id, static_cast<int>(1 + key_id.size() / 2)};
}

class PgReencryptionJob : public ReencryptionJob {
 public:
  PgReencryptionJob(SecretValue dsn, EncryptionKeyRing& ring, ReencryptionOptions options,
                    ContextTemplate context)
      : dsn_(std::move(dsn)),
        ring_(ring),
        options_(std::move(options)),
        context_(std::move(context)) {}

  Result<ReencryptionReport> Run() override {
    return GuardPg("connecting to the database", [&]() -> Result<ReencryptionReport> {
      pqxx::connection connection(std::string(dsn_.RevealUnsafe()));
      auto info = internal::InspectColumn(connection, options_, !options_.dry_run);
      if (!info.ok()) {
        return info.error();
      }
      return RunOn(connection, *info);
    });
  }

 private:
  Result<ReencryptionReport> RunOn(pqxx::connection& connection, const ColumnInfo& info) {
    const ReencryptSql sql = internal::BuildReencryptSql(info);
    ReencryptionReport report;
    if (auto counted = Count(connection, info, sql, report); !counted.ok()) {
      return counted.error();
    }
    std::optional<std::string> last_id;
    while (true) {
      // The primary is read per batch: a ring that follows rotations may change it mid-run, and
      // rows then move to the newer key (still correct; a rerun finishes the rest).
      auto batch = ReadBatch(connection, info, sql, last_id);
      if (!batch.ok()) {
        return batch.error();
      }
      if (batch->empty()) {
        return report;
      }
      last_id = batch->back().id;
      report.rows_scanned += batch->size();
      auto writes = ReencryptBatch(info, *batch, report);
      if (!writes.ok()) {
        return writes.error();
      }
      if (options_.between_read_and_write_for_test) {
        options_.between_read_and_write_for_test();
      }
      if (auto written = Write(connection, sql, *writes, report); !written.ok()) {
        return written.error();
      }
      if (options_.on_batch) {
        options_.on_batch(report);
      }
    }
  }

  Result<void> Count(pqxx::connection& connection, const ColumnInfo& info, const ReencryptSql& sql,
                     ReencryptionReport& report) {
    return GuardPg("counting rows", [&]() -> Result<void> {
      const auto [prefix, length] = PrimaryPrefix(info.kind, ring_.PrimaryKeyId());
      pqxx::read_transaction txn(connection);
      const pqxx::row row = txn.exec_params1(sql.count, prefix, length);
      report.rows_total = row[0].as<std::uint64_t>();
      report.rows_already_current = row[1].as<std::uint64_t>();
      txn.commit();
      return {};
    });
  }

  Result<std::vector<BatchRow>> ReadBatch(pqxx::connection& connection, const ColumnInfo& info,
                                          const ReencryptSql& sql,
                                          const std::optional<std::string>& last_id) {
    return GuardPg("reading a batch", [&]() -> Result<std::vector<BatchRow>> {
      const auto [prefix, length] = PrimaryPrefix(info.kind, ring_.PrimaryKeyId());
      const auto limit = static_cast<std::int64_t>(options_.batch_size);
      pqxx::read_transaction txn(connection);
      const pqxx::result rows =
          last_id ? txn.exec_params(sql.next_batch, prefix, length, limit, *last_id)
                  : txn.exec_params(sql.first_batch, prefix, length, limit);
      std::vector<BatchRow> batch;
      batch.reserve(rows.size());
      for (const pqxx::row& row : rows) {
        BatchRow r{row[0].as<std::string>(), std::nullopt};
        if (!row[1].is_null()) {
          r.value = row[1].as<std::string>();
        }
        batch.push_back(std::move(r));
      }
      txn.commit();
      return batch;
    });
  }

  Result<BatchWrites> ReencryptBatch(const ColumnInfo& info, std::vector<BatchRow>& batch,
                                     ReencryptionReport& report) {
    BatchWrites writes;
    const std::size_t cap = options_.max_reported_ids;
    for (BatchRow& row : batch) {
      if (!row.value) {
        AddRowId(report.null_ids, row.id, cap);
        continue;
      }
      auto moved = internal::ReencryptValue(ring_, info.kind, *row.value, context_.Expand(row.id));
      if (!moved.ok()) {
        return moved.error();
      }
      switch (moved->outcome) {
        case RowOutcome::kPlaintext:
          AddRowId(report.plaintext_ids, row.id, cap);
          break;
        case RowOutcome::kUndecryptable:
          AddRowId(report.undecryptable_ids, row.id, cap);
          break;
        case RowOutcome::kReencrypted:
          writes.ids.push_back(std::move(row.id));
          writes.old_values.push_back(std::move(*row.value));
          writes.new_values.push_back(std::move(moved->new_value));
          break;
      }
    }
    return writes;
  }

  Result<void> Write(pqxx::connection& connection, const ReencryptSql& sql,
                     const BatchWrites& writes, ReencryptionReport& report) {
    if (writes.ids.empty()) {
      return {};
    }
    if (options_.dry_run) {
      report.rows_reencrypted += writes.ids.size();
      return {};
    }
    return GuardPg("writing a batch", [&]() -> Result<void> {
      pqxx::work txn(connection);
      const pqxx::result result = txn.exec_params(
          sql.compare_and_set, internal::ArrayLiteral(writes.ids),
          internal::ArrayLiteral(writes.old_values), internal::ArrayLiteral(writes.new_values));
      txn.commit();
      const auto written = static_cast<std::uint64_t>(result.affected_rows());
      report.rows_reencrypted += written;
      report.rows_changed_concurrently += writes.ids.size() - written;
      return {};
    });
  }

  SecretValue dsn_;
  EncryptionKeyRing& ring_;
  ReencryptionOptions options_;
  ContextTemplate context_;
};

}  // namespace

Result<std::unique_ptr<ReencryptionJob>> ReencryptionJob::Create(SecretValue dsn,
                                                                 EncryptionKeyRing& ring,
                                                                 ReencryptionOptions options) {
  if (options.table.empty() || options.column.empty() || options.id_column.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "reencrypt: table, column and id column are "
                     "required");
  }
  if (options.batch_size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "reencrypt: the batch size must be at least 1");
  }
  // Parsed here so a malformed DSN is a usage error, not a connection failure. libpq's message
  // is not repeated: it quotes the DSN, which may hold a password.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(std::string(dsn.RevealUnsafe()).c_str(), &parse_error);
  if (parsed == nullptr) {
    PQfreemem(parse_error);
    return MakeError(ErrorCode::kInvalidArgument,
                     "reencrypt: the DSN is not a valid libpq "
                     "connection string or URI");
  }
  PQconninfoFree(parsed);
  auto context = ContextTemplate::Parse(options.context_template, options.table, options.column);
  if (!context.ok()) {
    return context.error();
  }
  return std::unique_ptr<ReencryptionJob>(
      new PgReencryptionJob(std::move(dsn), ring, std::move(options), std::move(context).value()));
}

}  // namespace locksmith
