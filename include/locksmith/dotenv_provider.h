// DotenvProvider: reads secrets from a .env file (and the process environment), for existing
// development setups. "db-encryption-key" is looked up as DB_ENCRYPTION_KEY. Read-only. Warns
// once (without values) that it is not for production, and refuses to start when
// APP_ENV=production unless explicitly allowed.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"

namespace locksmith {

// Reads an environment variable; std::nullopt when unset. Lets tests pass a fake environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The real process environment; secret-bearing variables leave it once read (configuration.md).
EnvLookup ProcessEnv();

struct DotenvOptions {
  std::filesystem::path file = ".env";  // a missing file is fine: it sets no names
  // For a name the file sets, a variable of that name in the process environment wins (as when
  // a shell exports it before starting the program).
  bool use_process_env = true;
  // Variable names (e.g. "REDIS_PASSWORD") also served from the process environment when the
  // file does not set them (LOCKSMITH_DOTENV_ALLOW). Any other variable of the process is never
  // served.
  std::vector<std::string> env_allow;
  // Where the key for version ids is kept (created, mode 0600, on first use); with the same key,
  // a value keeps its version id across restarts. Empty: a key for this process only.
  std::filesystem::path version_key_file;
  bool allow_in_production = false;  // LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true
  std::string app_env;               // APP_ENV
};

// Serves the names the .env file sets and those env_allow lists, nothing else. Never served
// from the process environment, whatever the name or the allow-list: variables starting with
// LOCKSMITH_, VAULT_ or AWS_ (locksmith's own and the back ends' credentials and keys); such a
// name is served only when the .env file itself sets it, with the file's value. Version ids are
// an HMAC of the value under a random key (version_key_file), so they reveal nothing about it.
//
// Errors: kFailedPrecondition when app_env is "production" and not allowed; kInvalidArgument
// for a malformed file (the error names the line number, never its contents) or an env_allow
// entry that is not a variable name or is reserved.
Result<ProviderPtr> CreateDotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock,
                                         Random& random);
// The same with the system's random source.
Result<ProviderPtr> CreateDotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock);

}  // namespace locksmith
