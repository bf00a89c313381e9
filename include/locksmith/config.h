// Configuration from the environment variables operators already use (ENABLE_SECRETS_MANAGER,
// SECRETS_BACKEND, AWS_*, VAULT_*) plus LOCKSMITH_* settings. Every variable is documented in
// the README's "Configuration" section.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/local_store.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/vault_provider.h"

namespace locksmith {

enum class Backend { kLocal, kDotenv, kVault, kAws };
std::string_view BackendName(Backend backend);

// Everything CreateVaultProvider needs (see VaultOptionsFromSettings and docs/vault.md).
struct VaultSettings {
  std::string addr;        // VAULT_ADDR
  std::string mount_path;  // VAULT_MOUNT_PATH, e.g. secret/agentauri-backend/production
  std::string role_id;     // VAULT_ROLE_ID (not secret on its own)
  std::optional<SecretValue> secret_id;  // VAULT_SECRET_ID
  std::string namespace_;                // VAULT_NAMESPACE
  std::optional<SecretValue> token;      // VAULT_TOKEN
  std::filesystem::path token_file;      // VAULT_TOKEN_FILE
  std::filesystem::path secret_id_file;  // VAULT_SECRET_ID_FILE
  // VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY, VAULT_SKIP_VERIFY.
  VaultTlsOptions tls;
  // LOCKSMITH_ALLOW_INSECURE_HTTP: plain http:// to a host other than loopback.
  bool allow_plain_http = false;
  // VAULT_CLIENT_TIMEOUT: the whole request, as the vault CLI's variable.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

struct AwsSettings {
  // AWS_REGION, else AWS_DEFAULT_REGION; empty: the profile's region (CreateAwsProvider).
  std::string region;
  std::string prefix;  // AWS_SECRETS_PREFIX
  // LOCKSMITH_ALLOW_INSECURE_HTTP: plain http:// endpoints to a host other than loopback.
  bool allow_plain_http = false;
};

struct Config {
  bool enabled = true;  // ENABLE_SECRETS_MANAGER; false means the dotenv back end
  Backend backend = Backend::kLocal;
  SecretsManagerOptions manager;
  LocalStoreOptions local;
  DotenvOptions dotenv;
  VaultSettings vault;
  AwsSettings aws;
};

// Reads and validates every variable. A malformed value is kInvalidArgument naming the variable
// (never echoing a secret-bearing one).
Result<Config> LoadConfig(const EnvLookup& env);

// The VaultOptions `settings` describe (secret values are cloned, so the config stays usable).
VaultOptions VaultOptionsFromSettings(const VaultSettings& settings);

// The provider the config names (every back end is built in; aws also reads the AWS_* variables
// of AwsOptionsFromEnv and the shared files through `env`).
Result<ProviderPtr> CreateProvider(Config& config, const EnvLookup& env, Clock& clock,
                                   Random& random);

}  // namespace locksmith
