// The Redis side of credential rotation (locksmith/credential_rotation.h): a CredentialServer for
// Redis ACL users (Redis 6 or later). A user holds several passwords at once, so the new password
// is added beside the old one and the old one removed only after every client has moved: no
// client is ever refused. docs/credential-rotation.md, section "Redis".
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "locksmith/credential_rotation.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct RedisCredentialServerOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // non-empty: connect here instead of host:port
  // An ACL user allowed to run ACL GETUSER and ACL SETUSER.
  std::string admin_username = "default";
  SecretValue admin_password;               // empty: no AUTH
  std::chrono::milliseconds timeout{5000};  // connect, and each command (send + whole reply)
};

// The user must exist (the application logs in with it) and be enabled: Set fails with
// kFailedPrecondition otherwise, rather than creating a user without permissions or turning on a
// user an operator turned off. Passwords are sent to the server only in AUTH; ACL rules carry
// their SHA-256 (`#<hex>` to add, `!<hex>` to remove). Errors: kUnavailable (unreachable, closed,
// malformed or oversized reply), kDeadlineExceeded, kUnauthenticated (admin or tested password
// refused), kPermissionDenied (the admin may not run ACL), kFailedPrecondition (no ACL support,
// no such user). No message contains a password or the server's own error text.
// Building the object does not connect; each call opens its own connection.
Result<std::unique_ptr<CredentialServer>> MakeRedisCredentialServer(
    RedisCredentialServerOptions options);

// Parses "redis://[user[:password]@]host[:port]" or "unix:///path/to/socket" (as redis-cli -u
// reads them; user and password percent-decoded) into options. kInvalidArgument on anything else;
// the error never quotes the password.
Result<RedisCredentialServerOptions> ParseRedisUrl(std::string_view url);

}  // namespace locksmith
