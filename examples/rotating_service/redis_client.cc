#include "redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cstring>
#include <utility>

#include "log.h"

namespace rotating_service {
namespace {

using locksmith::ErrorCode;
using locksmith::MakeError;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool StartsWith(const redisReply* reply, const char* prefix) {
  const std::size_t n = std::strlen(prefix);
  return reply->str != nullptr && reply->len >= n && std::memcmp(reply->str, prefix, n) == 0;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Sends one command; nullptr when the connection failed (context->err is set).
ReplyPtr Send(redisContext* context, const std::vector<std::string_view>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  for (std::string_view a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lens.data())));
}

}  // namespace

RedisClient::RedisClient(locksmith::SecretsManager& secrets, std::string secret_name,
                         RedisEndpoint endpoint)
    : secrets_(secrets), secret_name_(std::move(secret_name)), endpoint_(std::move(endpoint)) {}

RedisClient::~RedisClient() {
  subscription_.reset();
  std::lock_guard lock(mu_);
  DisconnectLocked();
}

locksmith::Result<std::unique_ptr<RedisClient>> RedisClient::Create(
    locksmith::SecretsManager& secrets, std::string secret_name, RedisEndpoint endpoint) {
  std::unique_ptr<RedisClient> client(
      new RedisClient(secrets, std::move(secret_name), std::move(endpoint)));
  LOCKSMITH_ASSIGN_OR_RETURN(locksmith::SecretValue secret, secrets.Get(client->secret_name_));
  LOCKSMITH_RETURN_IF_ERROR(client->Install(secret, "start"));
  RedisClient* self = client.get();
  client->subscription_ =
      secrets.Subscribe(client->secret_name_, [self](const locksmith::SecretUpdate& update) {
        auto installed =
            self->Install(update.value, "rotation to version " + update.version.version_id);
        if (!installed.ok()) {
          Log("redis credential not changed: " + installed.error().ToString());
        }
      });
  LOCKSMITH_RETURN_IF_ERROR(client->Ping());
  return client;
}

locksmith::Result<void> RedisClient::Install(const locksmith::SecretValue& secret,
                                             std::string_view why) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      RedisCredential parsed,
      ParseRedisCredential(secret_name_, secret, endpoint_.default_username));
  std::lock_guard lock(cred_mu_);
  if (credential_ && credential_->username == parsed.username &&
      credential_->password == parsed.password) {
    return locksmith::OkResult();
  }
  const bool first = credential_ == nullptr;
  credential_ = std::make_shared<const RedisCredential>(std::move(parsed));
  ++generation_;
  if (!first) {
    Log("redis credential changed (" + std::string(why) + "): user '" + credential_->username +
        "', reconnecting on the next command");
  }
  return locksmith::OkResult();
}

void RedisClient::DisconnectLocked() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

locksmith::Result<void> RedisClient::ConnectLocked() {
  DisconnectLocked();
  std::shared_ptr<const RedisCredential> credential;
  {
    std::lock_guard lock(cred_mu_);
    credential = credential_;
    context_generation_ = generation_;
  }
  const timeval tv = ToTimeval(endpoint_.timeout);
  context_ = endpoint_.socket.empty()
                 ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv)
                 : redisConnectUnixWithTimeout(endpoint_.socket.c_str(), tv);
  if (context_ == nullptr || context_->err != 0) {
    DisconnectLocked();
    return MakeError(ErrorCode::kUnavailable, "cannot reach Redis");
  }
  redisSetTimeout(context_, tv);
  ReplyPtr reply =
      Send(context_, {"AUTH", credential->username, credential->password.RevealUnsafe()});
  if (!reply) {
    DisconnectLocked();
    return MakeError(ErrorCode::kUnavailable, "Redis connection lost during AUTH");
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    const bool refused = StartsWith(reply.get(), "WRONGPASS");
    DisconnectLocked();
    return refused ? MakeError(ErrorCode::kUnauthenticated, "Redis refused the credential")
                   : MakeError(ErrorCode::kUnavailable, "Redis AUTH failed");
  }
  return locksmith::OkResult();
}

locksmith::Result<RedisClient::Reply> RedisClient::AttemptLocked(
    const std::vector<std::string>& argv, bool* reused) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(cred_mu_);
    generation = generation_;
  }
  *reused = context_ != nullptr && context_generation_ == generation;
  if (!*reused) {
    LOCKSMITH_RETURN_IF_ERROR(ConnectLocked());
  }
  std::vector<std::string_view> views(argv.begin(), argv.end());
  ReplyPtr reply = Send(context_, views);
  if (!reply) {
    DisconnectLocked();
    return MakeError(ErrorCode::kUnavailable, "Redis connection lost");
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    if (StartsWith(reply.get(), "NOAUTH") || StartsWith(reply.get(), "WRONGPASS")) {
      DisconnectLocked();
      return MakeError(ErrorCode::kUnauthenticated, "Redis refused the credential");
    }
    return MakeError(ErrorCode::kInternal, "Redis command failed");
  }
  Reply out;
  out.is_integer = reply->type == REDIS_REPLY_INTEGER;
  out.integer = reply->integer;
  return out;
}

locksmith::Result<RedisClient::Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  std::lock_guard lock(mu_);
  bool refreshed = false;
  bool reconnected = false;
  for (;;) {
    bool reused = false;
    auto result = AttemptLocked(argv, &reused);
    if (result.ok()) {
      return result;
    }
    const ErrorCode code = result.error().code;
    if (code == ErrorCode::kUnauthenticated && !refreshed) {
      // The password may have changed in the server before the secret's new version reached
      // this process's cache: read it again once, reconnect, retry.
      refreshed = true;
      Log("redis refused the credential; reading '" + secret_name_ + "' again");
      auto secret = secrets_.Refresh(secret_name_);
      if (!secret.ok()) {
        Log("refreshing '" + secret_name_ + "' failed: " + secret.error().ToString());
        return result;
      }
      LOCKSMITH_RETURN_IF_ERROR(Install(*secret, "refreshed after an authentication failure"));
      DisconnectLocked();
      continue;
    }
    if (code == ErrorCode::kUnavailable && reused && !reconnected) {
      reconnected = true;  // the open connection had died: once more on a new one
      continue;
    }
    return result;
  }
}

locksmith::Result<long long> RedisClient::Incr(const std::string& key) {
  LOCKSMITH_ASSIGN_OR_RETURN(Reply reply, Command({"INCR", key}));
  if (!reply.is_integer) {
    return MakeError(ErrorCode::kInternal, "Redis INCR did not answer an integer");
  }
  return reply.integer;
}

locksmith::Result<void> RedisClient::Ping() {
  LOCKSMITH_ASSIGN_OR_RETURN(Reply reply, Command({"PING"}));
  (void)reply;
  return locksmith::OkResult();
}

}  // namespace rotating_service
