// `locksmith rotate NAME --postgres ... | --redis ...`: a credential rotated together with the
// server that checks it (docs/credential-rotation.md), as a library function for the program.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct CredentialRotateOptions {
  std::optional<std::string> postgres;      // --postgres ADMIN_DSN (without a password)
  std::optional<std::string> postgres_env;  // --postgres-env VAR (the full DSN)
  std::string strategy = "single-user";     // --strategy single-user|alternating-users
  std::optional<std::string> redis;         // --redis URL (without a password)
  std::optional<std::string> redis_env;     // --redis-env VAR (the full URL)
  std::string user;                         // --user: the user of a bare-password secret
  std::string retire_after = "6m";          // --retire-after DURATION
  bool no_wait = false;                     // --no-wait: stop after the promotion

  bool Requested() const { return postgres || postgres_env || redis || redis_env; }
};

// Builds the server from the options (exactly one of PostgreSQL / Redis; the admin password from
// an -env variable, ~/.pgpass / PGPASSWORD, or REDISCLI_AUTH as redis-cli reads it), runs
// RotateCredential, prints each step on `err` and the new version id and user on `out`.
Result<void> CredentialRotateCommand(SecretsManager& manager, std::string_view name,
                                     const CredentialRotateOptions& options, const EnvLookup& env,
                                     Random& random, Clock& clock, std::ostream& out,
                                     std::ostream& err);

}  // namespace locksmith
