// VaultApi: one Vault HTTP call (headers, JSON parsing) and the mapping of Vault's answers onto
// locksmith error codes. Knows nothing about KV or auth; wipes every parsed body.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_bounded.h"
#include "core/scrub.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// A parsed Vault answer; its JSON is wiped on destruction. `json` is null for an empty body.
struct VaultReply {
  VaultReply() = default;
  VaultReply(VaultReply&&) = default;
  VaultReply& operator=(VaultReply&&) = default;
  ~VaultReply() { WipeJsonStrings(json); }

  int status = 0;
  nlohmann::json json;
  std::optional<std::chrono::milliseconds> retry_after;  // its Retry-After header (a 429's)
};

// Thread-safe (as the HttpClient it wraps). Follows up to kMaxVaultRedirects redirects (a
// standby's 307) with the same method, body and headers, to targets that pass the rules of
// vault_redirect.h; `allow_plain_http` is LOCKSMITH_ALLOW_INSECURE_HTTP.
class VaultApi {
 public:
  VaultApi(HttpClient& http, std::string addr, std::string namespace_name,
           std::chrono::milliseconds timeout, bool allow_plain_http = false);

  // `path` is under /v1/ ("secret/data/x?version=2"). `token` may be null (login). `body` is
  // JSON text or empty; it is wiped after sending. Errors only for transport failures (a body
  // over the HTTP client's cap is kDataLoss) and malformed JSON in a 2xx answer (kUnavailable: a
  // broken proxy or a truncated answer), which includes JSON over ParseUntrustedJson's limits;
  // and the redirect errors: a refused target (kInvalidArgument), no Location or more than
  // kMaxVaultRedirects (kUnavailable).
  Result<VaultReply> Call(std::string_view method, std::string_view path, const SecretValue* token,
                          std::string body = {}) const;

 private:
  HttpClient& http_;
  std::string addr_;
  std::string namespace_;
  std::chrono::milliseconds timeout_;
  bool allow_plain_http_;
};

// True for a 403 that Vault says is about the token itself ("invalid token": expired, revoked or
// unknown, as Vault's token docs describe), not about a policy: a token without a capability gets
// "permission denied" alone. Vault versions before that addition say only "permission denied".
bool VaultSaysInvalidToken(const VaultReply& reply);

// The error for a non-2xx reply. A 403 saying "invalid token" is kUnauthenticated. `what` says what
// was being done ("reading 'jwt-secret'"); the code follows the HTTP status. Vault's own error text
// is quoted only with BackendText::kScrubbed (reads), through ScrubBackendText with `secrets`;
// never for kOmit (writes and logins, whose requests carry values and credentials).
Error VaultError(const VaultReply& reply, std::string_view what, BackendText text,
                 std::span<const std::string_view> secrets = {});

}  // namespace locksmith::internal
