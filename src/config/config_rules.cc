// The rules between configuration variables: each involves several variables (a back end's
// requirements, settings that must be set together or only one of them), so they run once every
// section is read.
#include <string>

#include "config/config_readers.h"
#include "core/strings.h"
#include "locksmith/duration.h"
#include "transport/http_client.h"

namespace locksmith::internal {
namespace {

void CheckManagerRules(EnvReader& r, const SecretsManagerOptions& manager) {
  const CacheOptions& cache = manager.cache;
  if (cache.max_staleness < cache.ttl) {
    r.Problem("LOCKSMITH_MAX_STALENESS (" + FormatDuration(cache.max_staleness) +
              ") must be at least LOCKSMITH_CACHE_TTL (" + FormatDuration(cache.ttl) + ")");
  }
  const RetryOptions& retry = manager.retry;
  if (retry.base_delay > retry.max_delay) {
    r.Problem("LOCKSMITH_RETRY_BASE_DELAY (" + FormatDuration(retry.base_delay) +
              ") must not exceed LOCKSMITH_RETRY_MAX_DELAY (" + FormatDuration(retry.max_delay) +
              ")");
  }
}

void CheckLocalStoreRules(EnvReader& r, const LocalStoreOptions& local) {
  // The key file is only filled from the environment when there is no inline key.
  if (local.master_key_base64.has_value() && !local.master_key_file.empty()) {
    r.Problem("set only one of LOCKSMITH_MASTER_KEY and LOCKSMITH_MASTER_KEY_FILE");
  }
}

// What SECRETS_BACKEND=vault requires: an address, one way to log in, TLS files in pairs, and
// https unless the server is on this machine or plain http is allowed.
void CheckVaultRules(EnvReader& r, const VaultSettings& vault) {
  if (vault.addr.empty()) {
    r.Problem("SECRETS_BACKEND=vault needs VAULT_ADDR (e.g. https://vault.example.com:8200)");
  }
  const bool has_secret_id = vault.secret_id.has_value() || !vault.secret_id_file.empty();
  if (vault.role_id.empty() == has_secret_id) {
    r.Problem(
        "VAULT_ROLE_ID and VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE) must be set together "
        "(AppRole login)");
  }
  if (vault.secret_id.has_value() && !vault.secret_id_file.empty()) {
    r.Problem("set only one of VAULT_SECRET_ID and VAULT_SECRET_ID_FILE");
  }
  if (vault.token.has_value() && !vault.token_file.empty()) {
    r.Problem("set only one of VAULT_TOKEN and VAULT_TOKEN_FILE");
  }
  if (vault.tls.client_cert.empty() != vault.tls.client_key.empty()) {
    r.Problem("VAULT_CLIENT_CERT and VAULT_CLIENT_KEY must be set together");
  }
  if (vault.addr.starts_with("http://") && !vault.allow_plain_http) {
    auto url = ParseUrlParts(vault.addr);
    if (!url.ok()) {
      r.Invalid("VAULT_ADDR", vault.addr, kVaultAddrForm);
    } else if (!IsLoopbackHost(url->host)) {
      r.Problem(
          "VAULT_ADDR uses plain http:// to a host other than loopback: the token would "
          "travel unencrypted; use https://, or set LOCKSMITH_ALLOW_INSECURE_HTTP=true "
          "if you really mean it");
    }
  }
}

// What SECRETS_BACKEND=aws requires of an endpoint override: a URL, and https unless the
// endpoint is on this machine or plain http is allowed. No region here is fine: the SDKs also
// take it from the profile (~/.aws/config), which CreateAwsProvider reads; it reports "no AWS
// region" when there is none anywhere.
void CheckAwsRules(EnvReader& r, const AwsSettings& aws) {
  // The endpoint override, as the SDKs pick it: the service-specific variable first.
  std::string_view endpoint_var = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
  auto endpoint = r.Text(endpoint_var);
  if (!endpoint) {
    endpoint_var = "AWS_ENDPOINT_URL";
    endpoint = r.Text(endpoint_var);
  }
  if (!endpoint) {
    return;
  }
  auto url = ParseUrlParts(*endpoint);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || url->host.empty()) {
    r.Invalid(endpoint_var, *endpoint,
              "a URL such as https://secretsmanager.us-east-1.amazonaws.com");
  } else if (url->scheme == "http" && !aws.allow_plain_http && !IsLoopbackHost(url->host)) {
    r.Problem(std::string(endpoint_var) +
              " uses plain http:// to a host other than loopback: signed requests and secret "
              "values would travel unencrypted; use https://, or set "
              "LOCKSMITH_ALLOW_INSECURE_HTTP=true if you really mean it");
  }
}

}  // namespace

void CheckRulesBetweenVariables(EnvReader& r, const Config& config) {
  CheckManagerRules(r, config.manager);
  CheckLocalStoreRules(r, config.local);
  if (config.backend == Backend::kVault) {
    CheckVaultRules(r, config.vault);
  }
  if (config.backend == Backend::kAws) {
    CheckAwsRules(r, config.aws);
  }
}

}  // namespace locksmith::internal
