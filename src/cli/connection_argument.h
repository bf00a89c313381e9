// Connection strings that may hold a password (a libpq DSN, a redis:// URL): taken from a flag
// only when they hold none (every local user can read a process's arguments), otherwise from the
// environment variable an `-env` flag names. Shared by `reencrypt --dsn/--dsn-env` and
// `rotate --postgres/--postgres-env`, `--redis/--redis-env`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/dotenv_provider.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct ConnectionArgument {
  std::string flag;      // "--dsn"
  std::string env_flag;  // "--dsn-env"
  // Whether a value holds a password; an error for a malformed value (its message never quotes
  // the value).
  std::function<Result<bool>(std::string_view)> has_password;
  // Appended to the refusal of a flag value with a password: where the password goes instead.
  std::string password_hint;
};

// Exactly one of `flag_value` / `env_name` must be given (both: kInvalidArgument; neither:
// nullopt, so the caller can say what is required). From the flag: refused (kInvalidArgument)
// when it holds a password. From the environment: the variable must be set and non-empty; the
// copy read is wiped.
Result<std::optional<SecretValue>> ResolveConnectionArgument(
    const ConnectionArgument& spec, const std::optional<std::string>& flag_value,
    const std::optional<std::string>& env_name, const EnvLookup& env);

}  // namespace locksmith
