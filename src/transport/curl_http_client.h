// CurlHttpClient: HttpClient on libcurl. Keeps a pool of easy handles and one share object so
// connections, DNS answers and TLS sessions are reused across calls and threads. TLS peers are
// verified unless the operator explicitly says otherwise; plain http:// is allowed only to
// loopback unless explicitly allowed.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "locksmith/result.h"
#include "transport/http_client.h"

namespace locksmith::internal {

inline constexpr std::size_t kDefaultMaxResponseBytes = std::size_t{8} << 20;

struct CurlHttpClientOptions {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // total, per request
  std::filesystem::path ca_cert;      // PEM bundle (VAULT_CACERT); empty: system default
  std::filesystem::path ca_path;      // directory of hashed certificates (VAULT_CAPATH)
  std::filesystem::path client_cert;  // PEM (VAULT_CLIENT_CERT)
  std::filesystem::path client_key;   // PEM (VAULT_CLIENT_KEY)
  // Disables certificate and host name checks. Logged loudly once per client.
  bool insecure_skip_verify = false;
  // Allows http:// to hosts other than loopback (credentials then travel in clear text).
  bool allow_plain_http_non_loopback = false;
  std::size_t max_idle_handles = 16;
  // The largest response body accepted (HttpRequest::max_response_bytes may lower it per
  // request). 8 MiB holds the largest legal Secrets Manager answer, BatchGetSecretValue: 20
  // secrets of 64 KiB, each byte escaped as \u00XX at worst (7.5 MiB), plus metadata. Vault's
  // own request cap defaults to 32 MiB, but a KV secret that large is not a secret.
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
  // The largest total of response header lines (libcurl also refuses one line over 100 KiB).
  std::size_t max_response_header_bytes = 64 * 1024;
};

// Errors: kInvalidArgument for a client key without a certificate (or the reverse), or a CA /
// certificate file that does not exist; kInternal if libcurl cannot be initialised.
Result<HttpClientPtr> CreateCurlHttpClient(const CurlHttpClientOptions& options);

}  // namespace locksmith::internal
