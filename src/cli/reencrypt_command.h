// `locksmith reencrypt` (and `--verify`) as library functions: where the DSN comes from (never a
// password on argv), the ring from the configured back end, the job with its progress display
// and rate limit, the summary, and what the exit code says (docs/reencryption.md, "The command").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/reencryption_job.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct ReencryptCommandOptions {
  std::optional<std::string> dsn;      // --dsn: a libpq string or URI without a password
  std::optional<std::string> dsn_env;  // --dsn-env VAR: the variable holding the full DSN
  ReencryptionOptions job;             // table, column, id column, context, batch size, dry run
  std::string key = "db-encryption-key";
  std::uint64_t max_rows_per_second = 0;  // 0: unlimited
  bool allow_nulls = false;               // --allow-nulls: NULL rows are reported, not a failure
  bool verify = false;
  std::string retiring;  // --retiring KEY_ID (with --verify)
};

// The connection string: --dsn (refused, kInvalidArgument, when it holds a password: argv is
// visible to every local user; the message never quotes it) or the variable --dsn-env names
// (which may hold one). Exactly one of them. The password otherwise comes from libpq itself
// (PGPASSWORD, ~/.pgpass / PGPASSFILE).
Result<SecretValue> ResolveReencryptDsn(const ReencryptCommandOptions& options,
                                        const EnvLookup& env);

// How the command talks to the operator.
struct ReencryptIo {
  std::ostream& out;             // the summary (or the verify table)
  std::ostream& err;             // progress
  bool err_is_terminal = false;  // progress as a bar redrawn in place, else periodic lines
};

// Builds the ring (EncryptionKeyRing::Create(manager, key)), then runs the job (or, with verify,
// VerifyKeyUsage with decryption) and prints the summary. Fails with kFailedPrecondition (exit 1)
// after printing it when rows are left the job cannot move (undecryptable, plaintext, or NULL
// unless allow_nulls), or, verifying, while any row is on a key not in the ring, is
// undecryptable, or is on the retiring key (NULLs never fail a verification: they need no key).
// `metrics` (may be null) counts the ring's failed decryptions; the job itself records no
// metrics here (docs/reencryption.md, "Metrics"). Other errors as the job's.
Result<void> ReencryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                              Clock& clock, const SecretValue& dsn,
                              const ReencryptCommandOptions& options, ReencryptIo io);

}  // namespace locksmith
