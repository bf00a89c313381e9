// RedisClient: one hiredis connection to Redis, authenticated (AUTH username password, Redis 6
// ACL users) with the `redis-password` secret and following its rotations without a restart:
//  - a subscription installs each new version; the connection is reopened with it on the next
//    command (Redis's rotation keeps the old password valid until the new one is current
//    everywhere, so nothing is refused in between);
//  - a WRONGPASS (the password changed in the server first) makes the command read the secret
//    again once (SecretsManager::Refresh), reconnect and retry once;
//  - a connection found dead (server restart, CLIENT KILL) is reopened and the command retried
//    once (a counter may then count one request twice if the server ran it before dropping us).
// Thread-safe: commands are serialised on the one connection (enough for an example; a busy
// service would keep a few). Errors never quote the server's reply or the password.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "credentials.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

struct redisContext;

namespace rotating_service {

struct RedisEndpoint {
  std::string socket;  // a unix socket path; when empty, host:port
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string default_username;  // when the secret is a bare password
  std::chrono::milliseconds timeout{2000};
};

class RedisClient {
 public:
  // Reads the secret, subscribes to it and connects once to check the credential. `secrets`
  // must outlive the client.
  static locksmith::Result<std::unique_ptr<RedisClient>> Create(locksmith::SecretsManager& secrets,
                                                                std::string secret_name,
                                                                RedisEndpoint endpoint);
  ~RedisClient();

  // INCR key: the new value.
  locksmith::Result<long long> Incr(const std::string& key);
  // PING, for the start-up check.
  locksmith::Result<void> Ping();

 private:
  struct Reply {
    bool is_integer = false;
    long long integer = 0;
  };

  RedisClient(locksmith::SecretsManager& secrets, std::string secret_name, RedisEndpoint endpoint);
  locksmith::Result<void> Install(const locksmith::SecretValue& secret, std::string_view why);
  // Runs `argv` with the refresh-and-retry rules above.
  locksmith::Result<Reply> Command(const std::vector<std::string>& argv);
  // One attempt; `reused` says whether the connection was already open. Requires mu_.
  locksmith::Result<Reply> AttemptLocked(const std::vector<std::string>& argv, bool* reused);
  locksmith::Result<void> ConnectLocked();
  void DisconnectLocked();

  locksmith::SecretsManager& secrets_;
  const std::string secret_name_;
  const RedisEndpoint endpoint_;

  std::mutex mu_;                                      // one command at a time on the connection
  std::shared_ptr<const RedisCredential> credential_;  // guarded by cred_mu_
  std::mutex cred_mu_;                                 // never held while talking to Redis
  std::uint64_t generation_ = 0;                       // guarded by cred_mu_
  redisContext* context_ = nullptr;                    // guarded by mu_
  std::uint64_t context_generation_ = 0;               // guarded by mu_

  locksmith::SubscriptionPtr subscription_;  // last: unsubscribes before the rest goes
};

}  // namespace rotating_service
