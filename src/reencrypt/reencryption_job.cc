// ReencryptionJob over libpqxx: the batch loop and its retries. Each batch is a read (its own
// transaction), the crypto in memory, and one compare-and-set UPDATE (its own transaction); no
// transaction is held open while decrypting, and every committed batch is durable progress by
// itself. A transient failure drops the connection, waits a jittered backoff, reconnects and
// resumes after the last committed batch.
#include "locksmith/reencryption_job.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "reencrypt/batch_writer_pool.h"
#include "reencrypt/column_catalog.h"
#include "reencrypt/context_template.h"
#include "reencrypt/dsn_check.h"
#include "reencrypt/key_id_count.h"
#include "reencrypt/pg_error.h"
#include "reencrypt/reencrypt_sql.h"
#include "reencrypt/row_reencrypter.h"
#include "runtime/backoff.h"

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

// A batch read and decrypted, from its read until its counts join the report. Counts join in
// read order (so reported ids stay in id order) and only once the batch's write committed: a
// batch that fails (or whose commit outcome is unknown) is read again after reconnecting and must
// not count twice.
struct PendingBatch {
  ReencryptionReport tally;  // this batch's counts; the write adds rows written / changed
  std::map<std::string, std::uint64_t> rows_per_old_key;  // of the rows to write (the gauge)
  std::string last_id;
  std::uint64_t to_write = 0;
  bool done = false;  // written (or nothing to write)
  bool failed = false;
};

// The key id of a v1 ciphertext as the batch read returns it ("ls1:<id>:..." or hex "01<id>...").
std::string OldKeyId(CipherColumnKind kind, const std::string& value) {
  return kind == CipherColumnKind::kText ? value.substr(4, 8) : value.substr(2, 8);
}

void AddRowId(ReencryptionRowIds& ids, const std::string& id, std::size_t cap) {
  ++ids.count;
  if (ids.ids.size() < cap) {
    ids.ids.push_back(id);
  }
}

void MergeRowIds(ReencryptionRowIds& into, const ReencryptionRowIds& batch, std::size_t cap) {
  into.count += batch.count;
  for (const std::string& id : batch.ids) {
    if (into.ids.size() >= cap) {
      break;
    }
    into.ids.push_back(id);
  }
}

// Adds one committed batch's counts (`batch` holds only that batch's) to the run's totals.
void MergeBatch(ReencryptionReport& into, const ReencryptionReport& batch, std::size_t cap) {
  into.rows_scanned += batch.rows_scanned;
  into.rows_reencrypted += batch.rows_reencrypted;
  into.rows_changed_concurrently += batch.rows_changed_concurrently;
  MergeRowIds(into.null_ids, batch.null_ids, cap);
  MergeRowIds(into.plaintext_ids, batch.plaintext_ids, cap);
  MergeRowIds(into.undecryptable_ids, batch.undecryptable_ids, cap);
}

// Where a run stands across reconnections.
struct RunProgress {
  bool counted = false;
  // Last id of the last committed batch: the cursor after a reconnection. (The key id in the data
  // is the real checkpoint; this only spares re-reading rows left alone.)
  std::optional<std::string> last_id;
  // Set whenever a batch commits: the retry bounds count from the last progress.
  bool advanced = false;
};

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
                    ContextTemplate context, Clock& clock, Random& random)
      : dsn_(std::move(dsn)),
        ring_(ring),
        options_(std::move(options)),
        context_(std::move(context)),
        clock_(clock),
        random_(random) {}

  Result<ReencryptionReport> Run() override {
    ReencryptionReport report;
    RunProgress progress;
    int failed_tries = 0;
    std::chrono::milliseconds waited(0);
    while (true) {
      progress.advanced = false;
      const Result<void> attempt = Attempt(progress, report);
      if (attempt.ok()) {
        return report;
      }
      if (!IsRetryable(attempt.error().code)) {
        return attempt.error();
      }
      if (progress.advanced) {
        failed_tries = 0;
        waited = std::chrono::milliseconds(0);
      }
      ++failed_tries;
      if (failed_tries >= options_.retry.max_attempts) {
        return GiveUp(attempt.error(), failed_tries, waited);
      }
      const std::chrono::milliseconds delay =
          internal::BackoffDelay(options_.retry, failed_tries, random_);
      if (waited + delay > options_.max_retry_wait) {
        return GiveUp(attempt.error(), failed_tries, waited);
      }
      clock_.SleepFor(delay);
      waited += delay;
    }
  }

 private:
  static Error GiveUp(const Error& last, int tries, std::chrono::milliseconds waited) {
    return MakeError(ErrorCode::kUnavailable,
                     last.message + " (gave up after " + std::to_string(tries) + " tries and " +
                         std::to_string(waited.count()) +
                         " ms of waiting; committed batches are kept and a rerun resumes)");
  }

  // One connection's worth of work: connect, check the table, count (once per run), then batches
  // from the checkpoint until none is left or something fails.
  Result<void> Attempt(RunProgress& progress, ReencryptionReport& report) {
    return GuardPg("connecting to the database", [&]() -> Result<void> {
      pqxx::connection connection(std::string(dsn_.RevealUnsafe()));
      auto info = internal::InspectColumn(connection, options_, !options_.dry_run);
      if (!info.ok()) {
        return info.error();
      }
      const ReencryptSql sql = internal::BuildReencryptSql(*info);
      if (!progress.counted) {
        if (auto counted = Count(connection, *info, report); !counted.ok()) {
          return counted.error();
        }
        progress.counted = true;
      }
      if (auto done = RunBatches(connection, *info, sql, progress, report); !done.ok()) {
        return done;
      }
      if (JobMetrics() != nullptr) {
        // The exact figures for the gauge (the per-batch ones assume what concurrent writers do).
        ReencryptionReport recount;
        return Count(connection, *info, recount);
      }
      return {};
    });
  }

  // Reads and decrypts batches on `connection` while a BatchWriterPool writes them on its own
  // connections. The checkpoint (progress.last_id) only moves past a batch once it and every
  // batch before it committed.
  Result<void> RunBatches(pqxx::connection& connection, const ColumnInfo& info,
                          const ReencryptSql& sql, RunProgress& progress,
                          ReencryptionReport& report) {
    std::map<std::uint64_t, PendingBatch> pending;  // by sequence number: read, not yet merged
    std::uint64_t next_seq = 0;
    std::optional<Error> failure;
    std::unique_ptr<internal::BatchWriterPool> pool;
    if (!options_.dry_run && options_.write_connections > 0) {
      pool = std::make_unique<internal::BatchWriterPool>(
          dsn_, sql.compare_and_set, options_.write_connections, options_.after_commit_for_test);
    }
    const auto absorb = [&](std::vector<internal::WriteCompletion> completions) {
      for (const internal::WriteCompletion& c : completions) {
        PendingBatch& batch = pending.at(c.seq);
        batch.done = true;
        if (c.error) {
          batch.failed = true;
          if (!failure) {
            failure = *c.error;
          }
          continue;
        }
        batch.tally.rows_reencrypted += c.written;
        batch.tally.rows_changed_concurrently += batch.to_write - c.written;
      }
      // Merge the committed prefix, in read order.
      while (!pending.empty() && pending.begin()->second.done && !pending.begin()->second.failed) {
        PendingBatch& batch = pending.begin()->second;
        MergeBatch(report, batch.tally, options_.max_reported_ids);
        RecordBatch(batch.tally, batch.rows_per_old_key);
        progress.last_id = std::move(batch.last_id);
        progress.advanced = true;
        pending.erase(pending.begin());
        if (options_.on_batch) {
          options_.on_batch(report);
        }
      }
    };
    std::optional<std::string> read_cursor = progress.last_id;
    while (!failure) {
      if (pool) {
        absorb(pool->Take(/*wait_for_all=*/false));
        if (failure) {
          break;
        }
      }
      // The primary is read per batch: a ring that follows rotations may change it mid-run, and
      // rows then move to the newer key (still correct; a rerun finishes the rest).
      auto rows = ReadBatch(connection, info, sql, read_cursor);
      if (!rows.ok()) {
        failure = rows.error();
        break;
      }
      if (rows->empty()) {
        break;
      }
      const std::uint64_t seq = next_seq++;
      PendingBatch& batch = pending[seq];
      batch.tally.rows_scanned = rows->size();
      batch.last_id = rows->back().id;
      read_cursor = batch.last_id;
      auto writes = ReencryptBatch(info, *rows, batch);
      if (!writes.ok()) {
        failure = writes.error();
        pending.erase(seq);
        break;
      }
      if (options_.between_read_and_write_for_test) {
        options_.between_read_and_write_for_test();
      }
      batch.to_write = writes->ids.size();
      if (batch.to_write > 0 && pool) {
        pool->Submit(seq, std::move(writes).value());
        continue;
      }
      internal::WriteCompletion completion;
      completion.seq = seq;
      if (options_.dry_run) {
        batch.tally.rows_reencrypted += batch.to_write;  // what would have been written
        batch.to_write = 0;
      } else if (batch.to_write > 0) {  // no pool: written here, on the reading connection
        auto written = GuardPg("writing a batch", [&]() -> Result<std::uint64_t> {
          const std::uint64_t n = internal::WriteBatch(connection, sql.compare_and_set, *writes);
          if (options_.after_commit_for_test) {
            options_.after_commit_for_test();
          }
          return n;
        });
        if (written.ok()) {
          completion.written = *written;
        } else {
          completion.error = written.error();
        }
      }
      absorb({std::move(completion)});
    }
    if (pool) {
      absorb(pool->Take(/*wait_for_all=*/true));
    }
    if (!failure) {
      return {};
    }
    // Batches committed after the one that failed: the rows they moved are on the primary now and
    // will not be read again, so they count here; the rows they left alone will be read again by
    // the next try (from the checkpoint before the failed batch) and count then.
    for (auto& [seq, batch] : pending) {
      if (!batch.done || batch.failed) {
        continue;
      }
      ReencryptionReport moved;
      moved.rows_reencrypted = batch.tally.rows_reencrypted;
      moved.rows_changed_concurrently = batch.tally.rows_changed_concurrently;
      moved.rows_scanned = moved.rows_reencrypted + moved.rows_changed_concurrently;
      MergeBatch(report, moved, options_.max_reported_ids);
      RecordBatch(moved, batch.rows_per_old_key);
      progress.advanced = true;
    }
    return *failure;
  }

  // Rows per key id (one GROUP BY): the totals of the report, and the rows-remaining gauge.
  Result<void> Count(pqxx::connection& connection, const ColumnInfo& info,
                     ReencryptionReport& report) {
    return GuardPg("counting rows", [&]() -> Result<void> {
      KeyUsageReport usage;
      internal::CountRowsPerKeyId(connection, info, ring_, usage);
      report.rows_total = usage.rows_total;
      report.rows_already_current = usage.RowsOnKey(ring_.PrimaryKeyId());
      if (Metrics* metrics = JobMetrics()) {
        for (auto& [key_id, rows] : remaining_) {
          rows = 0;  // a key no row is on any more reads 0, not its last value
        }
        for (const KeyIdRows& k : usage.key_ids) {
          if (!k.primary) {
            remaining_[k.key_id] = k.rows;
          }
        }
        PublishRemaining(*metrics);
      }
      return {};
    });
  }

  Metrics* JobMetrics() const { return options_.dry_run ? nullptr : options_.metrics; }

  void PublishRemaining(Metrics& metrics) const {
    for (const auto& [key_id, rows] : remaining_) {
      metrics.SetReencryptionRowsRemaining(options_.table, options_.column, key_id,
                                           static_cast<double>(rows));
    }
  }

  // One committed batch: rows moved, rows left, and rows off their old keys (a row the
  // application rewrote meanwhile has left it too: the application writes under the primary).
  void RecordBatch(const ReencryptionReport& tally,
                   const std::map<std::string, std::uint64_t>& rows_per_old_key) {
    Metrics* metrics = JobMetrics();
    if (metrics == nullptr) {
      return;
    }
    const std::string& t = options_.table;
    const std::string& c = options_.column;
    if (tally.rows_reencrypted > 0) {
      metrics->RecordReencryptedRows(t, c, tally.rows_reencrypted);
    }
    const std::pair<const char*, std::uint64_t> left[] = {
        {"undecryptable", tally.undecryptable_ids.count},
        {"plaintext", tally.plaintext_ids.count},
        {"null", tally.null_ids.count}};
    for (const auto& [reason, rows] : left) {
      if (rows > 0) {
        metrics->RecordReencryptionFailures(t, c, reason, rows);
      }
    }
    for (const auto& [key_id, rows] : rows_per_old_key) {
      std::uint64_t& remaining = remaining_[key_id];
      remaining -= std::min(remaining, rows);
    }
    PublishRemaining(*metrics);
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

  // Decrypts and re-encrypts `rows`; the rows left alone go into `batch`'s tally.
  Result<internal::BatchWrites> ReencryptBatch(const ColumnInfo& info, std::vector<BatchRow>& rows,
                                               PendingBatch& batch) {
    internal::BatchWrites writes;
    ReencryptionReport& report = batch.tally;
    const std::size_t cap = options_.max_reported_ids;
    for (BatchRow& row : rows) {
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
          ++batch.rows_per_old_key[OldKeyId(info.kind, *row.value)];
          writes.ids.push_back(std::move(row.id));
          writes.old_values.push_back(std::move(*row.value));
          writes.new_values.push_back(std::move(moved->new_value));
          break;
      }
    }
    return writes;
  }

  SecretValue dsn_;
  EncryptionKeyRing& ring_;
  ReencryptionOptions options_;
  ContextTemplate context_;
  Clock& clock_;
  Random& random_;
  std::map<std::string, std::uint64_t> remaining_;  // rows per old key id, for the gauge
};

}  // namespace

Result<std::unique_ptr<ReencryptionJob>> ReencryptionJob::Create(SecretValue dsn,
                                                                 EncryptionKeyRing& ring,
                                                                 ReencryptionOptions options) {
  return Create(std::move(dsn), ring, std::move(options), SystemClock(), SystemRandom());
}

Result<std::unique_ptr<ReencryptionJob>> ReencryptionJob::Create(SecretValue dsn,
                                                                 EncryptionKeyRing& ring,
                                                                 ReencryptionOptions options,
                                                                 Clock& clock, Random& random) {
  if (options.table.empty() || options.column.empty() || options.id_column.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "reencrypt: table, column and id column are "
                     "required");
  }
  if (options.retry.max_attempts < 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "reencrypt: retry.max_attempts must be at least 1");
  }
  if (options.write_connections > 16) {
    return MakeError(ErrorCode::kInvalidArgument, "reencrypt: at most 16 write connections");
  }
  if (options.batch_size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "reencrypt: the batch size must be at least 1");
  }
  // Parsed here so a malformed DSN is a usage error, not a connection failure.
  if (auto parsed = internal::DsnHasPassword(dsn.RevealUnsafe()); !parsed.ok()) {
    return MakeError(parsed.error().code, "reencrypt: " + parsed.error().message);
  }
  auto context = ContextTemplate::Parse(options.context_template, options.table, options.column);
  if (!context.ok()) {
    return context.error();
  }
  return std::unique_ptr<ReencryptionJob>(new PgReencryptionJob(
      std::move(dsn), ring, std::move(options), std::move(context).value(), clock, random));
}

}  // namespace locksmith
