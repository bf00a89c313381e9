// The readers of the sections of Config, one per section.
#include "config/config_readers.h"

#include <algorithm>
#include <cctype>

#include "core/crypto.h"
#include "core/strings.h"

namespace locksmith::internal {

void ReadTopLevel(EnvReader& r, Config& config) {
  r.Bool("ENABLE_SECRETS_MANAGER", config.enabled);
  if (auto backend = r.Text("SECRETS_BACKEND")) {
    const std::string b = ToLower(*backend);
    if (b == "local") {
      config.backend = Backend::kLocal;
    } else if (b == "dotenv") {
      config.backend = Backend::kDotenv;
    } else if (b == "vault") {
      config.backend = Backend::kVault;
    } else if (b == "aws") {
      config.backend = Backend::kAws;
    } else {
      r.Invalid("SECRETS_BACKEND", *backend, "one of local, dotenv, vault, aws");
    }
  }
  if (!config.enabled) {
    // The secrets manager switched off means the service's old .env setup.
    config.backend = Backend::kDotenv;
  }
  config.dotenv.app_env = r.Text("APP_ENV").value_or("");
}

void ReadManager(EnvReader& r, SecretsManagerOptions& manager) {
  using std::chrono::milliseconds;
  CacheOptions& cache = manager.cache;
  r.Duration("LOCKSMITH_CACHE_TTL", cache.ttl, milliseconds(1));
  r.Fraction("LOCKSMITH_CACHE_TTL_JITTER", cache.ttl_jitter, 0.0, 0.5);
  r.Fraction("LOCKSMITH_REFRESH_AHEAD", cache.refresh_ahead, 0.5, 0.95);
  r.Duration("LOCKSMITH_MAX_STALENESS", cache.max_staleness, milliseconds(1));
  RetryOptions& retry = manager.retry;
  r.Int("LOCKSMITH_RETRY_MAX_ATTEMPTS", retry.max_attempts, 1, 10);
  r.Duration("LOCKSMITH_RETRY_BASE_DELAY", retry.base_delay, milliseconds(0));
  r.Duration("LOCKSMITH_RETRY_MAX_DELAY", retry.max_delay, milliseconds(0));
  BreakerOptions& breaker = manager.breaker;
  r.Int("LOCKSMITH_BREAKER_FAILURE_THRESHOLD", breaker.failure_threshold, 1, 1000);
  r.Duration("LOCKSMITH_BREAKER_OPEN_DURATION", breaker.open_duration, milliseconds(1));
}

void ReadLocalStore(EnvReader& r, LocalStoreOptions& local) {
  if (auto store = r.Text("LOCKSMITH_STORE")) {
    local.store_path = *store;
  } else {
    local.store_path = DefaultLocalStorePath();
  }
  local.master_key_base64 = r.Secret("LOCKSMITH_MASTER_KEY");
  if (local.master_key_base64.has_value()) {
    auto key = Base64DecodeSecret(local.master_key_base64->RevealUnsafe());
    if (!key.ok() || key->size() != kAesGcmKeySize) {
      r.Problem(
          "LOCKSMITH_MASTER_KEY is invalid: expected the base64 of 32 bytes, e.g. from "
          "`openssl rand -base64 32` (the value is not shown)");
    }
  }
  // Both this and the inline key set is a rule between variables.
  if (auto key_file = r.Text("LOCKSMITH_MASTER_KEY_FILE")) {
    local.master_key_file = *key_file;
  } else if (!local.master_key_base64.has_value()) {
    local.master_key_file = local.store_path.parent_path() / "master.key";
  }
}

void ReadDotenv(EnvReader& r, const LocalStoreOptions& local, DotenvOptions& dotenv) {
  dotenv.file = r.Text("LOCKSMITH_DOTENV_FILE").value_or(".env");
  // Variable names, comma-separated; CreateDotenvProvider refuses reserved or malformed ones.
  std::string allow = r.Text("LOCKSMITH_DOTENV_ALLOW").value_or("");
  for (std::size_t pos = 0; pos <= allow.size();) {
    std::size_t comma = std::min(allow.find(',', pos), allow.size());
    std::string_view entry = Trim(std::string_view(allow).substr(pos, comma - pos));
    if (!entry.empty()) {
      dotenv.env_allow.emplace_back(entry);
    }
    pos = comma + 1;
  }
  // Beside the local store (and the agent token): the user's data directory, not the project.
  dotenv.version_key_file = local.store_path.parent_path() / "dotenv-version.key";
  r.Bool("LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION", dotenv.allow_in_production);
}

void ReadVault(EnvReader& r, VaultSettings& vault) {
  vault.addr = r.Text("VAULT_ADDR").value_or("");
  if (!vault.addr.empty() && !vault.addr.starts_with("http://") &&
      !vault.addr.starts_with("https://")) {
    r.Invalid("VAULT_ADDR", vault.addr, kVaultAddrForm);
  }
  vault.mount_path = TrimSlashes(r.Text("VAULT_MOUNT_PATH").value_or(""));
  vault.role_id = r.Text("VAULT_ROLE_ID").value_or("");
  vault.secret_id = r.Secret("VAULT_SECRET_ID");
  vault.namespace_ = TrimSlashes(r.Text("VAULT_NAMESPACE").value_or(""));
  vault.token = r.Secret("VAULT_TOKEN");
  vault.token_file = r.Text("VAULT_TOKEN_FILE").value_or("");
  vault.secret_id_file = r.Text("VAULT_SECRET_ID_FILE").value_or("");
  vault.tls.ca_cert = r.Text("VAULT_CACERT").value_or("");
  vault.tls.ca_path = r.Text("VAULT_CAPATH").value_or("");
  vault.tls.client_cert = r.Text("VAULT_CLIENT_CERT").value_or("");
  vault.tls.client_key = r.Text("VAULT_CLIENT_KEY").value_or("");
  r.Bool("VAULT_SKIP_VERIFY", vault.tls.skip_verify);
  r.Bool("LOCKSMITH_ALLOW_INSECURE_HTTP", vault.allow_plain_http);
  r.Duration("VAULT_CLIENT_TIMEOUT", vault.timeout, std::chrono::milliseconds(1));
}

void ReadAws(EnvReader& r, AwsSettings& aws) {
  if (auto region = r.Text("AWS_REGION")) {
    aws.region = *region;
  } else if (auto default_region = r.Text("AWS_DEFAULT_REGION")) {
    aws.region = *default_region;
  }
  const bool is_region = std::all_of(aws.region.begin(), aws.region.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
  if (!is_region) {
    r.Invalid(r.Text("AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION", aws.region,
              "a region such as us-east-1");
  }
  aws.prefix = TrimSlashes(r.Text("AWS_SECRETS_PREFIX").value_or(""));
  // LOCKSMITH_ALLOW_INSECURE_HTTP is read with the vault settings (LoadConfig copies it).
}

std::string TrimSlashes(std::string_view s) {
  while (!s.empty() && s.front() == '/') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == '/') {
    s.remove_suffix(1);
  }
  return std::string(s);
}

}  // namespace locksmith::internal
