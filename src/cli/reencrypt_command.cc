// locksmith reencrypt [--verify]: DSN, ring, job or verification, summary, verdict.
#include "cli/reencrypt_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <ostream>

#include "cli/connection_argument.h"
#include "cli/reencrypt_progress.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/key_usage.h"
#include "locksmith/row_rate_limiter.h"
#include "reencrypt/dsn_check.h"

namespace locksmith {
namespace {

constexpr std::size_t kPrintedIds = 20;

// "  NULL            3   ids: 4, 9, 12 (and 1 more)"
void PrintRowIds(std::ostream& out, const char* label, const ReencryptionRowIds& ids) {
  char head[64];
  std::snprintf(head, sizeof(head), "  %-22s %llu", label,
                static_cast<unsigned long long>(ids.count));
  out << head;
  if (!ids.ids.empty()) {
    out << "   ids: ";
    const std::size_t shown = std::min(ids.ids.size(), kPrintedIds);
    for (std::size_t i = 0; i < shown; ++i) {
      out << (i > 0 ? ", " : "") << ids.ids[i];
    }
    if (ids.count > shown) {
      out << " (and " << ids.count - shown << " more)";
    }
  }
  out << "\n";
}

void PrintCount(std::ostream& out, const char* label, std::uint64_t count,
                const char* note = nullptr) {
  char line[96];
  std::snprintf(line, sizeof(line), "  %-22s %llu", label, static_cast<unsigned long long>(count));
  out << line;
  if (note != nullptr && count > 0) {
    out << "   " << note;
  }
  out << "\n";
}

bool IsKeyId(const std::string& text) {
  return text.size() == 8 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<void> RunJob(EncryptionKeyRing& ring, Clock& clock, const SecretValue& dsn,
                    const ReencryptCommandOptions& options, ReencryptIo io) {
  ReencryptionOptions job_options = options.job;
  // No job metrics: nobody scrapes a one-off command, and they would cost a second count of the
  // table at the end. The summary and --verify are its record. (The ring still counts failed
  // decryptions into `metrics`.)
  job_options.metrics = nullptr;
  ReencryptProgress progress(io.err, io.err_is_terminal, clock);
  std::unique_ptr<RowRateLimiter> limiter;
  if (options.max_rows_per_second > 0) {
    limiter = std::make_unique<RowRateLimiter>(options.max_rows_per_second, clock);
  }
  std::uint64_t admitted = 0;
  job_options.on_batch = [&](const ReencryptionReport& report) {
    progress.OnBatch(report);
    if (limiter) {
      limiter->Admit(report.rows_scanned - admitted);
      admitted = report.rows_scanned;
    }
  };
  LOCKSMITH_ASSIGN_OR_RETURN(ReencryptionJobPtr job,
                             ReencryptionJob::Create(dsn.Clone(), ring, std::move(job_options)));
  auto report = job->Run();
  progress.Finish();
  if (!report.ok()) {
    return std::move(report).error();
  }
  const ReencryptionReport& r = *report;
  std::ostream& out = io.out;
  out << "reencrypt " << options.job.table << "." << options.job.column << " onto key "
      << ring.PrimaryKeyId() << (options.job.dry_run ? " (dry run: nothing written)" : "") << "\n";
  PrintCount(out, "rows in table", r.rows_total);
  PrintCount(out, "already on primary", r.rows_already_current);
  PrintCount(out, "read", r.rows_scanned);
  PrintCount(out, options.job.dry_run ? "would re-encrypt" : "re-encrypted", r.rows_reencrypted);
  PrintCount(out, "changed concurrently", r.rows_changed_concurrently,
             "(the application's value kept; run --verify, rerun if any are on an old key)");
  PrintRowIds(out, "NULL (left alone)", r.null_ids);
  PrintRowIds(out, "plaintext (left alone)", r.plaintext_ids);
  PrintRowIds(out, "undecryptable", r.undecryptable_ids);
  out.flush();
  const std::uint64_t nulls = options.allow_nulls ? 0 : r.null_ids.count;
  if (r.undecryptable_ids.count > 0 || r.plaintext_ids.count > 0 || nulls > 0) {
    std::string message = std::to_string(r.undecryptable_ids.count) + " undecryptable, " +
                          std::to_string(r.plaintext_ids.count) + " plaintext and " +
                          std::to_string(nulls) + " NULL rows left as they are (ids above)";
    if (r.undecryptable_ids.count > 0 || r.plaintext_ids.count > 0) {
      message += ": keep the old keys in the ring until they are dealt with";
    }
    if (nulls > 0) {
      message += "; a column where NULL is a legitimate value takes --allow-nulls";
    }
    return MakeError(ErrorCode::kFailedPrecondition, message);
  }
  return OkResult();
}

Result<void> RunVerify(EncryptionKeyRing& ring, const SecretValue& dsn,
                       const ReencryptCommandOptions& options, std::ostream& out) {
  if (!options.retiring.empty() && !IsKeyId(options.retiring)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--retiring takes a key id: 8 lowercase hex digits, as --verify prints them");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(KeyUsageReport r,
                             VerifyKeyUsage(dsn, ring, options.job, /*decrypt=*/true));
  const std::string where = options.job.table + "." + options.job.column;
  out << where << ": " << r.rows_total << " rows\n";
  for (const KeyIdRows& k : r.key_ids) {
    const char* state = k.primary ? "primary" : k.in_ring ? "in ring" : "NOT IN RING";
    char line[96];
    std::snprintf(line, sizeof(line), "  key %-18s %llu   %s", k.key_id.c_str(),
                  static_cast<unsigned long long>(k.rows), state);
    out << line << (k.key_id == options.retiring ? " (retiring)" : "") << "\n";
  }
  PrintCount(out, "unknown format", r.unknown_format_rows, "NOT READABLE");
  PrintCount(out, "NULL", r.null_rows);
  PrintCount(out, "plaintext", r.plaintext_rows, "(not encrypted)");
  PrintRowIds(out, "undecryptable", r.undecryptable_ids);

  std::string problem;
  if (r.RowsOnKeysNotInRing() > 0) {
    problem = std::to_string(r.RowsOnKeysNotInRing()) + " rows are on keys not in the ring";
  } else if (r.undecryptable_ids.count > 0) {
    problem = std::to_string(r.undecryptable_ids.count) + " rows do not decrypt";
  } else if (!options.retiring.empty() && options.retiring == ring.PrimaryKeyId()) {
    problem = options.retiring + " is the primary key: rotate first";
  } else if (!options.retiring.empty() && r.RowsOnKey(options.retiring) > 0) {
    problem = std::to_string(r.RowsOnKey(options.retiring)) + " rows are still on " +
              options.retiring + ": run locksmith reencrypt first";
  }
  if (!problem.empty()) {
    out.flush();
    return MakeError(ErrorCode::kFailedPrecondition, "verify " + where + ": " + problem);
  }
  if (!options.retiring.empty()) {
    out << "safe to retire " << options.retiring << ": no row of " << where
        << " needs it (verify every column encrypted with " << options.key << " before)\n";
  } else {
    out << "every encrypted row of " << where << " decrypts with the ring\n";
  }
  out.flush();
  return OkResult();
}

}  // namespace

Result<SecretValue> ResolveReencryptDsn(const ReencryptCommandOptions& options,
                                        const EnvLookup& env) {
  const ConnectionArgument spec{
      "--dsn", "--dsn-env", [](std::string_view dsn) { return internal::DsnHasPassword(dsn); },
      "put the password in ~/.pgpass (or PGPASSWORD), or the whole DSN in a variable named by "
      "--dsn-env (e.g. --dsn-env DATABASE_URL)"};
  LOCKSMITH_ASSIGN_OR_RETURN(std::optional<SecretValue> dsn,
                             ResolveConnectionArgument(spec, options.dsn, options.dsn_env, env));
  if (!dsn) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a database is required: --dsn 'host=... dbname=... user=...' (the password "
                     "from ~/.pgpass or PGPASSWORD) or --dsn-env VAR (a variable holding the "
                     "DSN, e.g. DATABASE_URL)");
  }
  return std::move(*dsn);
}

Result<void> ReencryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                              Clock& clock, const SecretValue& dsn,
                              const ReencryptCommandOptions& options, ReencryptIo io) {
  if (!options.retiring.empty() && !options.verify) {
    return MakeError(ErrorCode::kInvalidArgument, "--retiring goes with --verify");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(EncryptionKeyRingPtr ring,
                             EncryptionKeyRing::Create(manager, options.key, {}, random, metrics));
  if (options.verify) {
    return RunVerify(*ring, dsn, options, io.out);
  }
  return RunJob(*ring, clock, dsn, options, io);
}

}  // namespace locksmith
