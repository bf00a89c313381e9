// Vault redirects: a standby node answers 307 with the active node's address (its api_addr, same
// path) when request forwarding is off or fails. Vault's own client follows it, re-sending the
// method, body and token; VaultApi does the same through this check, which applies to the target
// the rules the configured address has (https, or plain http only to loopback or when
// LOCKSMITH_ALLOW_INSECURE_HTTP is set) before a token is ever sent there.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// Vault's client follows one; two leave room for a load balancer in front of a standby.
inline constexpr int kMaxVaultRedirects = 2;

// True for the statuses Vault's client follows (301, 302, 307) and 308; each keeps the method
// and body.
bool IsVaultRedirect(int status);

// The absolute URL to send the request to next, from the URL just asked (`from`) and the answer's
// Location header. Errors (none names more than scheme and host, nor any credential):
//   kUnavailable      no Location, or one that is not a URL (a broken node or proxy)
//   kInvalidArgument  a target the rules refuse: another scheme, credentials in the URL, a
//                     downgrade from https, or plain http to a non-loopback host without
//                     `allow_plain_http`; the message says what to fix.
Result<std::string> VaultRedirectTarget(std::string_view from,
                                        std::optional<std::string_view> location,
                                        bool allow_plain_http);

}  // namespace locksmith::internal
