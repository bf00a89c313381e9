// The readers of LoadConfig, one per section of Config, and the rules between variables. Each
// reader reads its own variables and checks each on its own; rules that involve several
// variables (of one section or across sections, e.g. what a back end requires) are all in
// CheckRulesBetweenVariables, which runs once every section is read. Problems go to the
// EnvReader, which reports them all at once.
#pragma once

#include <string>
#include <string_view>

#include "config/env_reader.h"
#include "locksmith/config.h"

namespace locksmith::internal {

// ENABLE_SECRETS_MANAGER, SECRETS_BACKEND (dotenv when disabled) and APP_ENV.
void ReadTopLevel(EnvReader& r, Config& config);
// LOCKSMITH_CACHE_*, LOCKSMITH_REFRESH_AHEAD, LOCKSMITH_MAX_STALENESS, LOCKSMITH_RETRY_*,
// LOCKSMITH_BREAKER_*.
void ReadManager(EnvReader& r, SecretsManagerOptions& manager);
// LOCKSMITH_STORE, LOCKSMITH_MASTER_KEY (checked, never shown), LOCKSMITH_MASTER_KEY_FILE.
void ReadLocalStore(EnvReader& r, LocalStoreOptions& local);
// LOCKSMITH_DOTENV_FILE, LOCKSMITH_DOTENV_ALLOW, LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION; the
// version-id key file beside the local store.
void ReadDotenv(EnvReader& r, const LocalStoreOptions& local, DotenvOptions& dotenv);
// VAULT_*, and LOCKSMITH_ALLOW_INSECURE_HTTP (which also applies to aws).
void ReadVault(EnvReader& r, VaultSettings& vault);
// AWS_REGION (else AWS_DEFAULT_REGION), AWS_SECRETS_PREFIX.
void ReadAws(EnvReader& r, AwsSettings& aws);

// The rules between variables, on the config the readers filled.
void CheckRulesBetweenVariables(EnvReader& r, const Config& config);

inline constexpr std::string_view kVaultAddrForm = "a URL such as https://vault.example.com:8200";

// Without leading and trailing '/'.
std::string TrimSlashes(std::string_view s);

}  // namespace locksmith::internal
