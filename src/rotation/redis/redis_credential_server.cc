// RedisCredentialServer: rotation of a Redis ACL user's password (locksmith/
// redis_credential_server.h). The new password is added beside the old one, and the old one
// removed by RetirePrevious, so no client is refused. Rules carry SHA-256 hashes (`#<hex>`,
// `!<hex>`): the plain password goes to the server only in AUTH, and never appears in a rule the
// server could echo in an error, its slow log or MONITOR. Each call opens its own connection.
#include "locksmith/redis_credential_server.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/crypto.h"
#include "rotation/redis/redis_connection.h"

namespace locksmith {
namespace {

using internal::RedisConnection;
using internal::RedisReply;

// The lowercase hex SHA-256 that ACL GETUSER lists and `#`/`!` rules take.
std::string RedisPasswordHash(const SecretValue& password) {
  return internal::HexEncode(internal::Sha256(password.RevealBytesUnsafe()));
}

struct AclUser {
  bool on = false;
  std::vector<std::string> password_hashes;

  bool HasPassword(const SecretValue& password) const {
    const std::string hash = RedisPasswordHash(password);
    return std::find(password_hashes.begin(), password_hashes.end(), hash) != password_hashes.end();
  }
};

// An error reply to an ACL command as an Error: its code word only, never the server's text (an
// ACL SETUSER error quotes the rule, and an unknown-command error quotes the arguments).
Error AclReplyError(const RedisReply& reply, std::string_view doing) {
  const std::string_view prefix = internal::RedisErrorPrefix(reply);
  if (prefix == "NOPERM") {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the Redis admin user may not run ACL commands (NOPERM) while " +
                         std::string(doing) + ": it needs +acl");
  }
  if (prefix == "NOAUTH") {
    return MakeError(ErrorCode::kUnauthenticated, "Redis requires authentication (NOAUTH) while " +
                                                      std::string(doing) +
                                                      ": give the admin user's password");
  }
  if (prefix == "ERR" && reply.text.starts_with("ERR unknown command")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "Redis 6 or later with ACL users is needed: the server does not know the ACL "
                     "command (an older Redis, or ACL renamed away)");
  }
  if (prefix == "LOADING" || prefix == "BUSY" || prefix == "TRYAGAIN" || prefix == "MASTERDOWN") {
    return MakeError(ErrorCode::kUnavailable, "Redis is not ready (" + std::string(prefix) +
                                                  ") while " + std::string(doing));
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   "Redis refused " + std::string(doing) + " (" +
                       std::string(prefix.empty() ? "error" : prefix) + ")");
}

Error UnexpectedReply(std::string_view command) {
  return MakeError(ErrorCode::kUnavailable,
                   "unexpected reply from Redis to " + std::string(command));
}

class RedisCredentialServer final : public CredentialServer {
 public:
  explicit RedisCredentialServer(RedisCredentialServerOptions options)
      : options_(std::move(options)) {
    endpoint_.host = options_.host;
    endpoint_.port = options_.port;
    endpoint_.unix_socket = options_.unix_socket;
    endpoint_.timeout = options_.timeout;
  }

  std::string_view Kind() const override { return "redis"; }

  Result<std::string> NextUsername(const Credential& current) override {
    if (current.username.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a Redis credential needs a user name (the secret's JSON \"username\", or "
                       "the rotation's user option)");
    }
    return current.username;
  }

  Result<void> Set(const Credential& /*current*/, const Credential& pending) override {
    if (auto valid = CheckCredential(pending, "the new credential"); !valid.ok()) {
      return valid;
    }
    LOCKSMITH_ASSIGN_OR_RETURN(AdminView view, LookUpUser(pending.username));
    const std::optional<AclUser>& user = view.user;
    if (!user.has_value()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "Redis ACL user '" + pending.username +
                           "' does not exist: create it with the permissions the application "
                           "needs before rotating its password");
    }
    if (!user->on) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "Redis ACL user '" + pending.username +
                           "' is off (disabled): not turning it on by a rotation");
    }
    if (user->HasPassword(pending.password)) {
      return {};  // a rerun: already set
    }
    return SetUserRule(*view.admin, pending.username, "#" + RedisPasswordHash(pending.password),
                       "adding the new password");
  }

  Result<void> Test(const Credential& pending) override {
    if (auto valid = CheckCredential(pending, "the new credential"); !valid.ok()) {
      return valid;
    }
    auto connection = RedisConnection::Connect(endpoint_);
    if (!connection.ok()) {
      return connection.error();
    }
    if (auto auth = (*connection)->Auth(pending.username, pending.password); !auth.ok()) {
      if (auth.error().code == ErrorCode::kUnauthenticated) {
        return MakeError(ErrorCode::kUnauthenticated,
                         "Redis refused the new password of user '" + pending.username + "'");
      }
      return auth.error();
    }
    auto pong = (*connection)->Command({"PING"});
    if (!pong.ok()) {
      return pong.error();
    }
    // Logged in is what is tested; a user whose permissions leave out PING still passes.
    if (pong->type == RedisReply::Type::kError && internal::RedisErrorPrefix(*pong) != "NOPERM") {
      return MakeError(ErrorCode::kUnavailable,
                       "Redis refused PING as user '" + pending.username + "' (" +
                           std::string(internal::RedisErrorPrefix(*pong)) + ")");
    }
    return {};
  }

  Result<bool> PreviousStillValid(const Credential& previous, const Credential& current) override {
    if (SameCredential(previous, current) || previous.username.empty() ||
        previous.password.empty()) {
      return false;
    }
    LOCKSMITH_ASSIGN_OR_RETURN(AdminView view, LookUpUser(previous.username));
    return view.user.has_value() && view.user->HasPassword(previous.password);
  }

  Result<void> RetirePrevious(const Credential& previous, const Credential& current) override {
    if (SameCredential(previous, current) || previous.username.empty() ||
        previous.password.empty()) {
      return {};  // nothing to retire, and never the current password
    }
    LOCKSMITH_ASSIGN_OR_RETURN(AdminView view, LookUpUser(previous.username));
    const std::optional<AclUser>& user = view.user;
    if (!user.has_value() || !user->HasPassword(previous.password)) {
      return {};  // a rerun: already retired
    }
    if (previous.username == current.username && !user->HasPassword(current.password)) {
      // Removing the last password the clients know would lock every one of them out.
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the current password of Redis ACL user '" + current.username +
                           "' is not set on the server: not removing the previous one (run the "
                           "rotation again to set it first)");
    }
    auto removed =
        SetUserRule(*view.admin, previous.username, "!" + RedisPasswordHash(previous.password),
                    "removing the previous password");
    if (!removed.ok() && removed.error().code == ErrorCode::kFailedPrecondition) {
      // Gone meanwhile (Redis answers an error for removing an absent password)?
      auto again = GetUser(*view.admin, previous.username);
      if (again.ok() && (!again->has_value() || !(*again)->HasPassword(previous.password))) {
        return {};
      }
    }
    return removed;
  }

 private:
  static bool SameCredential(const Credential& a, const Credential& b) {
    return a.username == b.username && a.password == b.password;
  }

  static Result<void> CheckCredential(const Credential& credential, std::string_view what) {
    if (credential.username.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " has no Redis user name");
    }
    if (credential.password.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " has an empty password");
    }
    return {};
  }

  Result<std::unique_ptr<RedisConnection>> AdminConnection() {
    auto connection = RedisConnection::Connect(endpoint_);
    if (!connection.ok()) {
      return connection.error();
    }
    if (!options_.admin_password.empty()) {
      if (auto auth = (*connection)->Auth(options_.admin_username, options_.admin_password);
          !auth.ok()) {
        if (auth.error().code == ErrorCode::kUnauthenticated) {
          return MakeError(ErrorCode::kUnauthenticated,
                           "Redis refused the admin credentials (user '" + options_.admin_username +
                               "'): check the admin password");
        }
        return auth.error();
      }
    }
    return connection;
  }

  // An admin connection and what it reads of `name` (nullopt: no such user).
  struct AdminView {
    std::unique_ptr<RedisConnection> admin;
    std::optional<AclUser> user;
  };
  Result<AdminView> LookUpUser(const std::string& name) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> admin, AdminConnection());
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<AclUser> user, GetUser(*admin, name));
    return AdminView{std::move(admin), std::move(user)};
  }

  // ACL GETUSER: nullopt when the user does not exist.
  static Result<std::optional<AclUser>> GetUser(RedisConnection& admin, const std::string& name) {
    auto reply = admin.Command({"ACL", "GETUSER", name});
    if (!reply.ok()) {
      return reply.error();
    }
    if (reply->type == RedisReply::Type::kNil) {
      return std::optional<AclUser>();
    }
    if (reply->type == RedisReply::Type::kError) {
      return AclReplyError(*reply, "reading ACL user '" + name + "'");
    }
    if (reply->type != RedisReply::Type::kArray || reply->elements.size() % 2 != 0) {
      return UnexpectedReply("ACL GETUSER");
    }
    AclUser user;
    bool saw_flags = false;
    for (std::size_t i = 0; i < reply->elements.size(); i += 2) {
      const RedisReply& key = reply->elements[i];
      const RedisReply& value = reply->elements[i + 1];
      if (key.text != "flags" && key.text != "passwords") {
        continue;
      }
      if (value.type != RedisReply::Type::kArray) {
        return UnexpectedReply("ACL GETUSER");
      }
      for (const RedisReply& item : value.elements) {
        if (key.text == "flags") {
          user.on = user.on || item.text == "on";
        } else {
          user.password_hashes.push_back(item.text);
        }
      }
      saw_flags = saw_flags || key.text == "flags";
    }
    if (!saw_flags) {
      return UnexpectedReply("ACL GETUSER");
    }
    return std::optional<AclUser>(std::move(user));
  }

  static Result<void> SetUserRule(RedisConnection& admin, const std::string& name,
                                  const std::string& rule, std::string_view doing) {
    auto reply = admin.Command({"ACL", "SETUSER", name, rule});
    if (!reply.ok()) {
      return reply.error();
    }
    if (reply->type == RedisReply::Type::kError) {
      return AclReplyError(*reply, std::string(doing) + " of ACL user '" + name + "'");
    }
    if (reply->type != RedisReply::Type::kStatus) {
      return UnexpectedReply("ACL SETUSER");
    }
    return {};
  }

  RedisCredentialServerOptions options_;
  internal::RedisEndpoint endpoint_;
};

}  // namespace

Result<std::unique_ptr<CredentialServer>> MakeRedisCredentialServer(
    RedisCredentialServerOptions options) {
  if (options.unix_socket.empty() &&
      (options.host.empty() || options.port < 1 || options.port > 65535)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Redis: a host and a port from 1 to 65535, or a unix socket, are needed");
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "Redis: the timeout must be positive");
  }
  if (!options.admin_password.empty() && options.admin_username.empty()) {
    options.admin_username = "default";
  }
  return std::unique_ptr<CredentialServer>(new RedisCredentialServer(std::move(options)));
}

}  // namespace locksmith
