// Configuration from the environment variables operators already use (ENABLE_SECRETS_MANAGER,
// SECRETS_BACKEND, AWS_*, VAULT_*) plus LOCKSMITH_* settings. Every variable is documented in
// the README's "Configuration" section.
#pragma once

#include <memory>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/local_store.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

enum class Backend { kLocal, kDotenv, kVault, kAws };
std::string_view BackendName(Backend backend);

struct VaultSettings {
  std::string addr;        // VAULT_ADDR
  std::string mount_path;  // VAULT_MOUNT_PATH, e.g. secret/agentauri-backend/production
  std::string role_id;     // VAULT_ROLE_ID (not secret on its own)
  std::optional<SecretValue> secret_id;  // VAULT_SECRET_ID
  std::string namespace_;  // VAULT_NAMESPACE
};

struct AwsSettings {
  std::string region;  // AWS_REGION, else AWS_DEFAULT_REGION
  std::string prefix;  // AWS_SECRETS_PREFIX
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

// The provider the config names. kUnimplemented for a back end not built in yet.
Result<ProviderPtr> CreateProvider(Config& config, const EnvLookup& env, Clock& clock,
                                   Random& random);

}  // namespace locksmith
