#include "providers/vault/vault_redirect.h"

#include "transport/http_client.h"

namespace locksmith::internal {
namespace {

// "https://host:8200" of an absolute URL (scheme and authority, no path).
std::string_view UrlOrigin(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  auto path = url.find_first_of("/?#", scheme_end + 3);
  return path == std::string_view::npos ? url : url.substr(0, path);
}

std::string Origin(const UrlParts& url) { return url.scheme + "://" + url.host; }

}  // namespace

bool IsVaultRedirect(int status) {
  return status == 301 || status == 302 || status == 307 || status == 308;
}

Result<std::string> VaultRedirectTarget(std::string_view from,
                                        std::optional<std::string_view> location,
                                        bool allow_plain_http) {
  LOCKSMITH_ASSIGN_OR_RETURN(UrlParts source, ParseUrlParts(from));
  if (!location.has_value() || location->empty()) {
    return MakeError(ErrorCode::kUnavailable, "vault: " + Origin(source) +
                                                  " answered a redirect without a Location "
                                                  "header (a broken standby or proxy)");
  }
  for (char c : *location) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return MakeError(ErrorCode::kUnavailable,
                       "vault: " + Origin(source) + " answered a redirect to a malformed Location");
    }
  }
  std::string target;
  if (location->starts_with("//")) {
    target = source.scheme + ":" + std::string(*location);
  } else if (location->starts_with("/")) {
    target = std::string(UrlOrigin(from)) + std::string(*location);
  } else {
    target = std::string(*location);
  }
  auto parsed = ParseUrlParts(target);
  if (!parsed.ok()) {
    return MakeError(ErrorCode::kUnavailable, "vault: " + Origin(source) +
                                                  " answered a redirect to a Location that is not "
                                                  "a URL: " +
                                                  parsed.error().message);
  }
  const UrlParts& to = *parsed;
  if (to.scheme != "http" && to.scheme != "https") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "vault: " + Origin(source) + " redirected to a '" + to.scheme +
                         "' URL; only https:// (or http:// to loopback) is followed");
  }
  if (UrlOrigin(target).find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "vault: " + Origin(source) + " redirected to a URL carrying credentials (" +
                         Origin(to) + "); not followed");
  }
  if (source.scheme == "https" && to.scheme == "http") {
    // As Vault's client: never from TLS to clear text, whatever the host.
    return MakeError(ErrorCode::kInvalidArgument,
                     "vault: " + Origin(source) + " redirected to plain " + Origin(to) +
                         ": refusing the downgrade from https (the token would travel "
                         "unencrypted); give the Vault servers an https:// api_addr, or point "
                         "VAULT_ADDR at the active node");
  }
  if (to.scheme == "http" && !allow_plain_http && !IsLoopbackHost(to.host)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "vault: " + Origin(source) + " redirected to plain " + Origin(to) +
                         ", a host other than loopback: the token would travel unencrypted; give "
                         "the Vault servers an https:// api_addr, point VAULT_ADDR at the active "
                         "node, or set LOCKSMITH_ALLOW_INSECURE_HTTP=true if you really mean it");
  }
  return target;
}

}  // namespace locksmith::internal
