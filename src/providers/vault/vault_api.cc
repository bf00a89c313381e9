#include "providers/vault/vault_api.h"

#include <spdlog/spdlog.h>

#include "locksmith/log.h"
#include "providers/vault/vault_redirect.h"

namespace locksmith::internal {

VaultApi::VaultApi(HttpClient& http, std::string addr, std::string namespace_name,
                   std::chrono::milliseconds timeout, bool allow_plain_http)
    : http_(http),
      addr_(std::move(addr)),
      namespace_(std::move(namespace_name)),
      timeout_(timeout),
      allow_plain_http_(allow_plain_http) {
  while (!addr_.empty() && addr_.back() == '/') {
    addr_.pop_back();
  }
}

Result<VaultReply> VaultApi::Call(std::string_view method, std::string_view path,
                                  const SecretValue* token, std::string body) const {
  HttpRequest request(std::string(method), addr_ + "/v1/" + std::string(path));
  request.timeout = timeout_;
  request.headers.emplace_back("X-Vault-Request", "true");
  if (token != nullptr && !token->empty()) {
    request.headers.emplace_back("X-Vault-Token", std::string(token->RevealUnsafe()));
  }
  if (!namespace_.empty()) {
    request.headers.emplace_back("X-Vault-Namespace", namespace_);
  }
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
  }
  WipeString(body);
  LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
  // A standby's 307 (or a proxy's redirect): the same request, token and body included, to the
  // target, once VaultRedirectTarget has held it to the configured address's rules.
  for (int redirects = 0; IsVaultRedirect(response.status); ++redirects) {
    if (redirects == kMaxVaultRedirects) {
      return MakeError(ErrorCode::kUnavailable,
                       "vault: more than " + std::to_string(kMaxVaultRedirects) +
                           " redirects (HTTP " + std::to_string(response.status) +
                           "); is a standby pointing at another standby? Point VAULT_ADDR at the "
                           "active node or the cluster's load balancer");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(
        std::string target,
        VaultRedirectTarget(request.url, response.Header("Location"), allow_plain_http_));
    Logger()->debug("vault: following a redirect (HTTP {})", response.status);
    request.url = std::move(target);
    WipeString(response.body);
    LOCKSMITH_ASSIGN_OR_RETURN(response, http_.Send(request));
  }
  VaultReply reply;
  reply.status = response.status;
  reply.retry_after = response.RetryAfter();
  if (response.body.empty()) {
    return reply;
  }
  auto parsed = ParseUntrustedJson(response.body);
  if (parsed.ok()) {
    reply.json = std::move(parsed).value();
  } else if (response.status >= 200 && response.status < 300) {
    return MakeError(ErrorCode::kUnavailable, "malformed JSON in Vault's answer (HTTP " +
                                                  std::to_string(response.status) +
                                                  "): " + parsed.error().message);
  }
  return reply;
}

namespace {

// Vault's "errors" strings, joined: the raw text of the back end (may hold anything the request
// carried; the caller wipes it).
std::string VaultErrorText(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("errors") || !json["errors"].is_array()) {
    return {};
  }
  std::string text;
  for (const auto& e : json["errors"]) {
    if (!e.is_string()) {
      continue;
    }
    if (!text.empty()) {
      text += "; ";
    }
    text += e.get_ref<const std::string&>();
  }
  return text;
}

}  // namespace

bool VaultSaysInvalidToken(const VaultReply& reply) {
  if (reply.status != 403) {
    return false;
  }
  std::string raw = VaultErrorText(reply.json);
  const bool invalid = raw.find("invalid token") != std::string::npos;
  WipeString(raw);
  return invalid;
}

Error VaultError(const VaultReply& reply, std::string_view what, BackendText text,
                 std::span<const std::string_view> secrets) {
  std::string raw = VaultErrorText(reply.json);
  // Read for the one fact that picks the code, then quoted (scrubbed) only for reads.
  const bool cas_conflict = raw.find("check-and-set") != std::string::npos;
  const bool invalid_token = raw.find("invalid token") != std::string::npos;
  std::string detail = text == BackendText::kScrubbed ? ScrubBackendText(raw, secrets) : "";
  WipeString(raw);
  ErrorCode code = ErrorCode::kInternal;
  std::string summary;
  switch (reply.status) {
    case 400:
      if (cas_conflict) {
        code = ErrorCode::kAborted;
        summary = "a concurrent write won (check-and-set)";
      } else {
        code = ErrorCode::kInvalidArgument;
        summary = "bad request";
      }
      break;
    case 401:
      code = ErrorCode::kUnauthenticated;
      summary = "not authenticated";
      break;
    case 403:
      if (invalid_token) {
        code = ErrorCode::kUnauthenticated;
        summary = "token rejected (expired, revoked or mistyped)";
      } else {
        code = ErrorCode::kPermissionDenied;
        summary = "permission denied";
      }
      break;
    case 404:
      code = ErrorCode::kNotFound;
      summary = "not found";
      break;
    case 405:
      code = ErrorCode::kUnimplemented;
      summary = "unsupported by this mount (is it KV version 2?)";
      break;
    case 412:
      code = ErrorCode::kUnavailable;
      summary = "Vault replica not yet consistent";
      break;
    case 429:
      code = ErrorCode::kThrottled;
      summary = "rate limited";
      break;
    default:
      if (reply.status >= 500) {
        code = ErrorCode::kUnavailable;
        summary = reply.status == 503 ? "Vault unavailable (sealed or standby)" : "Vault error";
      } else {
        summary = "unexpected answer";
      }
  }
  std::string message =
      "vault: " + summary + " " + std::string(what) + " (HTTP " + std::to_string(reply.status);
  if (!detail.empty()) {
    message += ": " + detail;
  }
  message += ")";
  Error error = MakeError(code, std::move(message));
  if (IsRetryable(code)) {
    error.retry_after = reply.retry_after;
  }
  return error;
}

}  // namespace locksmith::internal
