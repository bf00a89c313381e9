// ReencryptionJob: moves every value of one encrypted column of a PostgreSQL table onto the key
// ring's primary key (the background step of a db-encryption-key rotation,
// docs/reencryption.md). It reads in keyset-paginated batches only the rows whose value is not
// already under the primary key id, decrypts each with the ring (context from a template such as
// "users.encrypted_email.42"), encrypts it with the primary key, and writes each batch with one
// compare-and-set UPDATE: a row the application rewrote in the meantime keeps the application's
// value. NULLs, values that are not ciphertexts (legacy plaintext) and values that fail to
// decrypt are reported by row id and never changed. The key id carried by each value is the only
// checkpoint: a rerun after any interruption picks up exactly the rows still to do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

// Row ids (in PostgreSQL's text form) of one kind of row the job left alone: at most
// `max_reported_ids` of them, and how many there were in all.
struct ReencryptionRowIds {
  std::vector<std::string> ids;
  std::uint64_t count = 0;
};

struct ReencryptionReport {
  // Counted once when the job starts (one scan of the table).
  std::uint64_t rows_total = 0;
  std::uint64_t rows_already_current = 0;  // already under the primary key id: never read
  // Read by the job: every row not under the primary key id (NULLs included).
  std::uint64_t rows_scanned = 0;
  // Written under the primary key (with dry_run: would have been).
  std::uint64_t rows_reencrypted = 0;
  // Compare-and-set lost: the value changed between the job's read and its write; the row keeps
  // what the application wrote.
  std::uint64_t rows_changed_concurrently = 0;
  ReencryptionRowIds null_ids;
  ReencryptionRowIds plaintext_ids;      // not a ciphertext (no "ls<N>:" prefix / 0x01 byte)
  ReencryptionRowIds undecryptable_ids;  // a ciphertext no key of the ring decrypts here
  // Rows left on an old key or not encrypted: the key they need must stay in the ring.
  bool Complete() const {
    return null_ids.count == 0 && plaintext_ids.count == 0 && undecryptable_ids.count == 0;
  }
};

struct ReencryptionOptions {
  // "users" (found through the search_path) or "schema.users". Plain names, not SQL: the job
  // quotes them itself.
  std::string table;
  std::string column;  // TEXT / VARCHAR (the "ls1:" form) or BYTEA (the binary form)
  // Must be unique (a primary key or a unique index on that column alone): the job pages by it.
  // smallint, integer, bigint, text, varchar or uuid.
  std::string id_column = "id";
  // The associated data of each value; {table}, {column} and {id} are replaced (the id in
  // PostgreSQL's text form). Must match what the application used to encrypt.
  std::string context_template = "{table}.{column}.{id}";
  std::size_t batch_size = 1000;
  // Connections writing batches (each on a thread of its own) while the job reads and decrypts
  // the next batch on one more: the job holds write_connections + 1 connections. Batches commit
  // out of order but count, report and checkpoint in id order. 0: no threads, every batch
  // written on the reading connection after its read (one connection, one batch at a time).
  std::size_t write_connections = 2;
  // Reads and decrypts, writes nothing; rows_reencrypted counts what would have been written.
  bool dry_run = false;
  std::size_t max_reported_ids = 1000;
  // Transient failures (connection lost or killed, server restarting or shutting down,
  // serialization failure, deadlock): the job reconnects and resumes after the last committed
  // batch, waiting a full-jitter backoff between tries (the runtime's BackoffDelay). Bounded per
  // outage (tries and waits since the last committed batch): at most `retry.max_attempts` tries
  // and `max_retry_wait` of waiting in all; then kUnavailable. Other errors are never retried.
  RetryOptions retry{.max_attempts = 10,
                     .base_delay = std::chrono::milliseconds(250),
                     .max_delay = std::chrono::seconds(10)};
  std::chrono::milliseconds max_retry_wait = std::chrono::minutes(2);
  // Where the job records what it did (nullptr: nowhere); must outlive the job. Pass the
  // service's SecretsManager metrics to see the job on its /metrics:
  // secrets_manager_reencrypted_rows_total, secrets_manager_reencryption_failures_total (rows left
  // undecryptable, plaintext or NULL, counted per run) and
  // secrets_manager_reencryption_rows_remaining (rows per old key id: counted when the run starts,
  // lowered per batch, counted again when it ends). A dry run records nothing.
  Metrics* metrics = nullptr;
  // Called after every batch with the totals so far (progress display).
  std::function<void(const ReencryptionReport&)> on_batch;
  // Called between a batch's read and its write (tests change rows there).
  std::function<void()> between_read_and_write_for_test;
  // Called right after a batch's commit returned; a test throws from it (a pqxx::in_doubt_error)
  // to make a committed batch look like one whose commit outcome was lost.
  std::function<void()> after_commit_for_test;
};

// Not thread-safe: one Run at a time per object. Different jobs may run at once (on other
// columns, or even the same one: the compare-and-set keeps them from overwriting each other).
class ReencryptionJob {
 public:
  virtual ~ReencryptionJob() = default;

  // Connects, checks the table and column, and re-encrypts until no row is left that the job can
  // move. Rows it cannot move are in the report, not an error. Errors (messages never hold the
  // DSN, a value or a plaintext):
  //   kInvalidArgument    no such table or column, a column of another type, an id column that
  //                       is not unique or of an unsupported type
  //   kPermissionDenied   the role may not read the column, or (unless dry_run) update it
  //   kUnauthenticated    the server refused the credentials
  //   kUnavailable        still cannot connect, or the connection kept failing, after the
  //                       retries of options.retry / max_retry_wait (a rerun resumes)
  //   kInternal           any other database error (named by its SQLSTATE)
  virtual Result<ReencryptionReport> Run() = 0;

  // `dsn`: a libpq connection string or URI (it may hold a password, hence a SecretValue).
  // `ring` must outlive the job. kInvalidArgument for a malformed DSN, empty names, a zero
  // batch size or a bad context template.
  // Waits between retries on SystemClock(), jitter from SystemRandom().
  static Result<std::unique_ptr<ReencryptionJob>> Create(SecretValue dsn, EncryptionKeyRing& ring,
                                                         ReencryptionOptions options);
  // The same with the clock (retry waits) and randomness (jitter) injected; both must outlive
  // the job.
  static Result<std::unique_ptr<ReencryptionJob>> Create(SecretValue dsn, EncryptionKeyRing& ring,
                                                         ReencryptionOptions options, Clock& clock,
                                                         Random& random);
};

using ReencryptionJobPtr = std::unique_ptr<ReencryptionJob>;

}  // namespace locksmith
