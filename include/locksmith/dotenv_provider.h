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

#include "locksmith/clock.h"
#include "locksmith/provider.h"
#include "locksmith/result.h"

namespace locksmith {

// Reads an environment variable; std::nullopt when unset. Lets tests pass a fake environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The real process environment; secret-bearing variables leave it once read (configuration.md).
EnvLookup ProcessEnv();

struct DotenvOptions {
  std::filesystem::path file = ".env";  // a missing file is fine: only the environment is used
  bool use_process_env = true;          // variables in the environment win over the file
  bool allow_in_production = false;     // LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true
  std::string app_env;                  // APP_ENV
};

// Never served from the process environment, whatever the name: variables starting with
// LOCKSMITH_, VAULT_ or AWS_ (locksmith's own and the back ends' credentials and keys); such a
// name is served only when the .env file itself sets it.
//
// Errors: kFailedPrecondition when app_env is "production" and not allowed; kInvalidArgument
// for a malformed file (the error names the line number, never its contents).
Result<ProviderPtr> CreateDotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock);

}  // namespace locksmith
