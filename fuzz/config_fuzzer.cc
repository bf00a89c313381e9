// LoadConfig (config/config.cc, env_reader.cc, config_readers.cc, config_rules.cc): the function
// SecretsManager::FromEnv runs first (config/from_env.cc), over an environment built from the
// input's KEY=VALUE lines (a later line wins, as in a shell). No provider is created, so nothing
// touches the network or the disk. Properties: it never crashes; a refused configuration is one
// kInvalidArgument "invalid configuration: ..." in printable text naming at least one variable;
// the value of a secret-bearing variable (VAULT_TOKEN, VAULT_SECRET_ID, LOCKSMITH_MASTER_KEY)
// never appears in it (a marker is planted in each one set); an accepted configuration keeps the
// rules between variables (max staleness >= TTL, base delay <= max delay, ...).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "locksmith/config.h"

namespace {

constexpr std::string_view kConfigPlanted = "Zq7PLANTEDsecretZq";
constexpr std::string_view kConfigSecretVariables[] = {"VAULT_TOKEN", "VAULT_SECRET_ID",
                                                       "LOCKSMITH_MASTER_KEY"};
constexpr std::string_view kConfigVariables[] = {"APP_ENV",
                                                 "AWS_DEFAULT_REGION",
                                                 "AWS_ENDPOINT_URL",
                                                 "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                                                 "AWS_REGION",
                                                 "AWS_SECRETS_PREFIX",
                                                 "ENABLE_SECRETS_MANAGER",
                                                 "LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION",
                                                 "LOCKSMITH_ALLOW_INSECURE_HTTP",
                                                 "LOCKSMITH_BREAKER_FAILURE_THRESHOLD",
                                                 "LOCKSMITH_BREAKER_OPEN_DURATION",
                                                 "LOCKSMITH_CACHE_TTL",
                                                 "LOCKSMITH_CACHE_TTL_JITTER",
                                                 "LOCKSMITH_DOTENV_ALLOW",
                                                 "LOCKSMITH_DOTENV_FILE",
                                                 "LOCKSMITH_MASTER_KEY",
                                                 "LOCKSMITH_MASTER_KEY_FILE",
                                                 "LOCKSMITH_MAX_STALENESS",
                                                 "LOCKSMITH_REFRESH_AHEAD",
                                                 "LOCKSMITH_RETRY_BASE_DELAY",
                                                 "LOCKSMITH_RETRY_MAX_ATTEMPTS",
                                                 "LOCKSMITH_RETRY_MAX_DELAY",
                                                 "LOCKSMITH_STORE",
                                                 "SECRETS_BACKEND",
                                                 "VAULT_ADDR",
                                                 "VAULT_CACERT",
                                                 "VAULT_CAPATH",
                                                 "VAULT_CLIENT_CERT",
                                                 "VAULT_CLIENT_KEY",
                                                 "VAULT_CLIENT_TIMEOUT",
                                                 "VAULT_MOUNT_PATH",
                                                 "VAULT_NAMESPACE",
                                                 "VAULT_ROLE_ID",
                                                 "VAULT_SECRET_ID",
                                                 "VAULT_SECRET_ID_FILE",
                                                 "VAULT_SKIP_VERIFY",
                                                 "VAULT_TOKEN",
                                                 "VAULT_TOKEN_FILE"};

using ConfigEnv = std::map<std::string, std::string, std::less<>>;

ConfigEnv ParseEnvLines(std::string_view input) {
  ConfigEnv env;
  while (!input.empty()) {
    const std::size_t newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    const std::size_t equals = line.find('=');
    if (equals != std::string_view::npos) {
      env[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
    }
  }
  return env;
}

locksmith::Result<locksmith::Config> Load(const ConfigEnv& env) {
  const locksmith::EnvLookup lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  return locksmith::LoadConfig(lookup);
}

void CheckConfigRefusal(const locksmith::Error& error) {
  FUZZ_CHECK(error.code == locksmith::ErrorCode::kInvalidArgument, "a refusal is kInvalidArgument");
  FUZZ_CHECK(error.message.starts_with("invalid configuration: "), "a refusal's form");
  for (char c : error.message) {
    FUZZ_CHECK(std::isprint(static_cast<unsigned char>(c)) != 0, "a refusal is printable text");
  }
  bool names_variable = false;
  for (std::string_view variable : kConfigVariables) {
    names_variable = names_variable || error.message.find(variable) != std::string::npos;
  }
  FUZZ_CHECK(names_variable, "a refusal names a variable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ConfigEnv env = ParseEnvLines(std::string_view(reinterpret_cast<const char*>(data), size));
  auto config = Load(env);
  if (config.ok()) {
    const locksmith::SecretsManagerOptions& m = config->manager;
    FUZZ_CHECK(m.cache.ttl.count() > 0 && m.cache.max_staleness >= m.cache.ttl,
               "an accepted TTL is positive and within the maximum staleness");
    FUZZ_CHECK(m.cache.ttl_jitter >= 0 && m.cache.ttl_jitter <= 0.5, "jitter in range");
    FUZZ_CHECK(m.cache.refresh_ahead >= 0.5 && m.cache.refresh_ahead <= 0.95,
               "refresh-ahead in range");
    FUZZ_CHECK(m.retry.base_delay <= m.retry.max_delay, "base delay within the maximum");
    FUZZ_CHECK(m.retry.max_attempts >= 1 && m.retry.max_attempts <= 10, "attempts in range");
    FUZZ_CHECK(!(config->backend == locksmith::Backend::kVault && config->vault.addr.empty()),
               "vault needs an address");
  } else {
    CheckConfigRefusal(config.error());
  }
  // The same environment with a marker in every secret-bearing variable that is set.
  bool planted = false;
  for (std::string_view variable : kConfigSecretVariables) {
    auto it = env.find(variable);
    if (it != env.end()) {
      it->second += kConfigPlanted;
      planted = true;
    }
  }
  if (planted) {
    auto marked = Load(env);
    if (!marked.ok()) {
      CheckConfigRefusal(marked.error());
      FUZZ_CHECK(marked.error().message.find(kConfigPlanted) == std::string::npos,
                 "a refusal never shows a secret-bearing value");
    }
  }
  return 0;
}
