// LoadConfig: reads every section (config/config_readers.h), each variable checked on its own,
// then the rules between variables, and reports all problems at once. Values of secret-bearing
// variables are never echoed.
#include "locksmith/config.h"

#include "config/config_readers.h"
#include "config/env_reader.h"

namespace locksmith {

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kLocal:
      return "local";
    case Backend::kDotenv:
      return "dotenv";
    case Backend::kVault:
      return "vault";
    case Backend::kAws:
      return "aws";
  }
  return "unknown";
}

Result<Config> LoadConfig(const EnvLookup& env) {
  internal::EnvReader r(env);
  Config config;
  internal::ReadTopLevel(r, config);
  internal::ReadAws(r, config.aws);
  internal::ReadVault(r, config.vault);
  config.aws.allow_plain_http = config.vault.allow_plain_http;  // LOCKSMITH_ALLOW_INSECURE_HTTP
  internal::ReadManager(r, config.manager);
  internal::ReadLocalStore(r, config.local);
  internal::ReadDotenv(r, config.local, config.dotenv);
  internal::CheckRulesBetweenVariables(r, config);
  LOCKSMITH_RETURN_IF_ERROR(r.Status());
  return config;
}

}  // namespace locksmith
