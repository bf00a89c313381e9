// LoadConfig: reads every variable, validates each on its own and then the rules between them,
// and reports all problems at once. Values of secret-bearing variables are never echoed.
#include "locksmith/config.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "locksmith/duration.h"
#include "transport/http_client.h"

namespace locksmith {
namespace {

constexpr std::string_view kBoolForm = "true, false, 1, 0, yes or no";
constexpr std::string_view kDurationForm = "a duration such as 300s, 5m, 1h30m or 250ms";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Non-secret values are quoted in errors to help the operator, short and printable.
std::string Shown(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 64)) {
    out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
  out += s.size() > 64 ? "...'" : "'";
  return out;
}

// Reads variables and collects every problem found.
class Reader {
 public:
  explicit Reader(const EnvLookup& env) : env_(env) {}

  // A non-secret variable, trimmed; unset and empty are the same.
  std::optional<std::string> Text(std::string_view name) {
    if (!env_) {
      return std::nullopt;
    }
    std::optional<std::string> raw = env_(name);
    if (!raw.has_value()) {
      return std::nullopt;
    }
    std::string_view trimmed = Trim(*raw);
    if (trimmed.empty()) {
      return std::nullopt;
    }
    return std::string(trimmed);
  }

  // A secret-bearing variable: the copy the lookup made is wiped.
  std::optional<SecretValue> Secret(std::string_view name) {
    if (!env_) {
      return std::nullopt;
    }
    std::optional<std::string> raw = env_(name);
    if (!raw.has_value()) {
      return std::nullopt;
    }
    std::optional<SecretValue> out;
    if (!Trim(*raw).empty()) {
      out.emplace(Trim(*raw));
    }
    OPENSSL_cleanse(raw->data(), raw->size());
    return out;
  }

  void Bool(std::string_view name, bool& out) {
    auto text = Text(name);
    if (!text) {
      return;
    }
    std::string v = Lower(*text);
    if (v == "true" || v == "1" || v == "yes") {
      out = true;
    } else if (v == "false" || v == "0" || v == "no") {
      out = false;
    } else {
      Invalid(name, *text, kBoolForm);
    }
  }

  // A duration of at least `min`.
  void Duration(std::string_view name, std::chrono::milliseconds& out,
                std::chrono::milliseconds min) {
    auto text = Text(name);
    if (!text) {
      return;
    }
    auto parsed = ParseDuration(*text);
    if (!parsed.ok()) {
      Invalid(name, *text, kDurationForm);
      return;
    }
    if (*parsed < min) {
      Invalid(name, *text, std::string(kDurationForm) + " of at least " + FormatDuration(min));
      return;
    }
    out = *parsed;
  }

  void Fraction(std::string_view name, double& out, double min, double max) {
    auto text = Text(name);
    if (!text) {
      return;
    }
    double v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    // `!(in range)` also rejects NaN.
    if (ec != std::errc() || end != text->data() + text->size() || !(v >= min && v <= max)) {
      Invalid(name, *text, "a number from " + Number(min) + " to " + Number(max));
      return;
    }
    out = v;
  }

  void Int(std::string_view name, int& out, int min, int max) {
    auto text = Text(name);
    if (!text) {
      return;
    }
    int v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < min || v > max) {
      Invalid(name, *text,
              "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return;
    }
    out = v;
  }

  void Invalid(std::string_view name, std::string_view value, std::string_view expected) {
    problems_.push_back(std::string(name) + "=" + Shown(value) + " is invalid: expected " +
                        std::string(expected));
  }
  // For secret-bearing variables and rules between variables: no value is quoted.
  void Problem(std::string text) { problems_.push_back(std::move(text)); }

  Result<void> Status() const {
    if (problems_.empty()) {
      return OkResult();
    }
    std::string message = "invalid configuration: ";
    for (std::size_t i = 0; i < problems_.size(); ++i) {
      message += (i == 0 ? "" : "; ") + problems_[i];
    }
    return MakeError(ErrorCode::kInvalidArgument, message);
  }

 private:
  static std::string Number(double v) {
    std::array<char, 32> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return ec == std::errc() ? std::string(buf.data(), end) : std::to_string(v);
  }

  const EnvLookup& env_;
  std::vector<std::string> problems_;
};

bool IsRegion(std::string_view region) {
  return std::all_of(region.begin(), region.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
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

}  // namespace

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
  Reader r(env);
  Config config;

  // Back end.
  r.Bool("ENABLE_SECRETS_MANAGER", config.enabled);
  if (auto backend = r.Text("SECRETS_BACKEND")) {
    std::string b = Lower(*backend);
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

  // AWS.
  if (auto region = r.Text("AWS_REGION")) {
    config.aws.region = *region;
  } else if (auto default_region = r.Text("AWS_DEFAULT_REGION")) {
    config.aws.region = *default_region;
  }
  if (!IsRegion(config.aws.region)) {
    r.Invalid(r.Text("AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION", config.aws.region,
              "a region such as us-east-1");
  }
  config.aws.prefix = TrimSlashes(r.Text("AWS_SECRETS_PREFIX").value_or(""));

  // Vault.
  config.vault.addr = r.Text("VAULT_ADDR").value_or("");
  if (!config.vault.addr.empty() && !config.vault.addr.starts_with("http://") &&
      !config.vault.addr.starts_with("https://")) {
    r.Invalid("VAULT_ADDR", config.vault.addr, "a URL such as https://vault.example.com:8200");
  }
  config.vault.mount_path = TrimSlashes(r.Text("VAULT_MOUNT_PATH").value_or(""));
  config.vault.role_id = r.Text("VAULT_ROLE_ID").value_or("");
  config.vault.secret_id = r.Secret("VAULT_SECRET_ID");
  config.vault.namespace_ = TrimSlashes(r.Text("VAULT_NAMESPACE").value_or(""));
  config.vault.token = r.Secret("VAULT_TOKEN");
  config.vault.token_file = r.Text("VAULT_TOKEN_FILE").value_or("");
  config.vault.secret_id_file = r.Text("VAULT_SECRET_ID_FILE").value_or("");
  config.vault.tls.ca_cert = r.Text("VAULT_CACERT").value_or("");
  config.vault.tls.ca_path = r.Text("VAULT_CAPATH").value_or("");
  config.vault.tls.client_cert = r.Text("VAULT_CLIENT_CERT").value_or("");
  config.vault.tls.client_key = r.Text("VAULT_CLIENT_KEY").value_or("");
  r.Bool("VAULT_SKIP_VERIFY", config.vault.tls.skip_verify);
  r.Bool("LOCKSMITH_ALLOW_INSECURE_HTTP", config.vault.allow_plain_http);
  config.aws.allow_plain_http = config.vault.allow_plain_http;
  r.Duration("VAULT_CLIENT_TIMEOUT", config.vault.timeout, std::chrono::milliseconds(1));

  // Runtime.
  using std::chrono::milliseconds;
  CacheOptions& cache = config.manager.cache;
  r.Duration("LOCKSMITH_CACHE_TTL", cache.ttl, milliseconds(1));
  r.Fraction("LOCKSMITH_CACHE_TTL_JITTER", cache.ttl_jitter, 0.0, 0.5);
  r.Fraction("LOCKSMITH_REFRESH_AHEAD", cache.refresh_ahead, 0.5, 0.95);
  r.Duration("LOCKSMITH_MAX_STALENESS", cache.max_staleness, milliseconds(1));
  RetryOptions& retry = config.manager.retry;
  r.Int("LOCKSMITH_RETRY_MAX_ATTEMPTS", retry.max_attempts, 1, 10);
  r.Duration("LOCKSMITH_RETRY_BASE_DELAY", retry.base_delay, milliseconds(0));
  r.Duration("LOCKSMITH_RETRY_MAX_DELAY", retry.max_delay, milliseconds(0));
  BreakerOptions& breaker = config.manager.breaker;
  r.Int("LOCKSMITH_BREAKER_FAILURE_THRESHOLD", breaker.failure_threshold, 1, 1000);
  r.Duration("LOCKSMITH_BREAKER_OPEN_DURATION", breaker.open_duration, milliseconds(1));

  // Embedded store.
  if (auto store = r.Text("LOCKSMITH_STORE")) {
    config.local.store_path = *store;
  } else {
    config.local.store_path = DefaultLocalStorePath();
  }
  config.local.master_key_base64 = r.Secret("LOCKSMITH_MASTER_KEY");
  if (config.local.master_key_base64.has_value()) {
    auto key = internal::Base64DecodeSecret(config.local.master_key_base64->RevealUnsafe());
    if (!key.ok() || key->size() != internal::kAesGcmKeySize) {
      r.Problem(
          "LOCKSMITH_MASTER_KEY is invalid: expected the base64 of 32 bytes, e.g. from "
          "`openssl rand -base64 32` (the value is not shown)");
    }
  }
  if (auto key_file = r.Text("LOCKSMITH_MASTER_KEY_FILE")) {
    if (config.local.master_key_base64.has_value()) {
      r.Problem("set only one of LOCKSMITH_MASTER_KEY and LOCKSMITH_MASTER_KEY_FILE");
    } else {
      config.local.master_key_file = *key_file;
    }
  } else if (!config.local.master_key_base64.has_value()) {
    config.local.master_key_file = config.local.store_path.parent_path() / "master.key";
  }

  // .env.
  config.dotenv.file = r.Text("LOCKSMITH_DOTENV_FILE").value_or(".env");
  r.Bool("LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION", config.dotenv.allow_in_production);
  config.dotenv.app_env = r.Text("APP_ENV").value_or("");

  // Rules between variables.
  if (cache.max_staleness < cache.ttl) {
    r.Problem("LOCKSMITH_MAX_STALENESS (" + FormatDuration(cache.max_staleness) +
              ") must be at least LOCKSMITH_CACHE_TTL (" + FormatDuration(cache.ttl) + ")");
  }
  if (retry.base_delay > retry.max_delay) {
    r.Problem("LOCKSMITH_RETRY_BASE_DELAY (" + FormatDuration(retry.base_delay) +
              ") must not exceed LOCKSMITH_RETRY_MAX_DELAY (" + FormatDuration(retry.max_delay) +
              ")");
  }
  if (config.backend == Backend::kVault) {
    if (config.vault.addr.empty()) {
      r.Problem("SECRETS_BACKEND=vault needs VAULT_ADDR (e.g. https://vault.example.com:8200)");
    }
    const VaultSettings& vault = config.vault;
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
      auto url = internal::ParseUrlParts(vault.addr);
      if (!url.ok()) {
        r.Invalid("VAULT_ADDR", vault.addr, "a URL such as https://vault.example.com:8200");
      } else if (!internal::IsLoopbackHost(url->host)) {
        r.Problem(
            "VAULT_ADDR uses plain http:// to a host other than loopback: the token would "
            "travel unencrypted; use https://, or set LOCKSMITH_ALLOW_INSECURE_HTTP=true "
            "if you really mean it");
      }
    }
  }
  if (config.backend == Backend::kAws) {
    // No region here is fine: the SDKs also take it from the profile (~/.aws/config), which
    // CreateAwsProvider reads; it reports "no AWS region" when there is none anywhere.
    // The endpoint override, as the SDKs pick it: the service-specific variable first.
    std::string_view endpoint_var = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
    auto endpoint = r.Text(endpoint_var);
    if (!endpoint) {
      endpoint_var = "AWS_ENDPOINT_URL";
      endpoint = r.Text(endpoint_var);
    }
    if (endpoint) {
      auto url = internal::ParseUrlParts(*endpoint);
      if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || url->host.empty()) {
        r.Invalid(endpoint_var, *endpoint,
                  "a URL such as https://secretsmanager.us-east-1.amazonaws.com");
      } else if (url->scheme == "http" && !config.aws.allow_plain_http &&
                 !internal::IsLoopbackHost(url->host)) {
        r.Problem(std::string(endpoint_var) +
                  " uses plain http:// to a host other than loopback: signed requests and "
                  "secret values would travel unencrypted; use https://, or set "
                  "LOCKSMITH_ALLOW_INSECURE_HTTP=true if you really mean it");
      }
    }
  }

  LOCKSMITH_RETURN_IF_ERROR(r.Status());
  return config;
}

}  // namespace locksmith
