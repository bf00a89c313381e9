// PgPool: a few libpqxx connections to PostgreSQL, opened with the credential in the
// `database-password` secret and following its rotations without a restart:
//  - a subscription installs each new version: idle connections of the old credential are closed
//    and new ones open with the new credential (connections busy with a request finish first);
//  - a connection refused for its credential (SQLSTATE 28P01/28000: the single-user strategy
//    changes the password in the server before the new version becomes current) makes the request
//    read the secret again once (SecretsManager::Refresh), and retry once with what it got;
//  - a pooled connection found broken (server restart) is replaced and the request retried once.
// Thread-safe. Errors never carry the server's text (it may quote the connection string).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "credentials.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace rotating_service {

struct PgPoolOptions {
  std::size_t size = 4;                             // connections open at most
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  std::chrono::seconds connect_timeout{5};          // libpq connect_timeout
};

class PgPool {
 public:
  // Reads the secret, subscribes to it and opens one connection to check the credential.
  // `secrets` must outlive the pool.
  static locksmith::Result<std::unique_ptr<PgPool>> Create(locksmith::SecretsManager& secrets,
                                                           std::string secret_name,
                                                           DbDefaults defaults,
                                                           PgPoolOptions options);
  ~PgPool();

  // Runs `fn` on a pooled connection. `fn` uses libpqxx and may throw its exceptions; they
  // become errors here (kUnauthenticated, kUnavailable, kInternal, with the SQLSTATE only).
  locksmith::Result<void> Run(std::string_view doing,
                              const std::function<void(pqxx::connection&)>& fn);

 private:
  struct Pooled;
  using Credential = std::shared_ptr<const DbCredential>;

  PgPool(locksmith::SecretsManager& secrets, std::string secret_name, DbDefaults defaults,
         PgPoolOptions options);
  locksmith::Result<void> Install(const locksmith::SecretValue& secret, std::string_view why);
  locksmith::Result<void> RefreshCredential();
  // One attempt; `reused` says whether the connection came from the idle list.
  locksmith::Result<void> Attempt(std::string_view doing,
                                  const std::function<void(pqxx::connection&)>& fn, bool* reused);
  locksmith::Result<std::unique_ptr<Pooled>> Acquire(bool* reused);
  void Release(std::unique_ptr<Pooled> conn);

  locksmith::SecretsManager& secrets_;
  const std::string secret_name_;
  const DbDefaults defaults_;
  const PgPoolOptions options_;

  mutable std::mutex mu_;
  std::condition_variable freed_;
  Credential credential_;                      // guarded by mu_
  std::uint64_t generation_ = 0;               // bumped on every new credential; guarded by mu_
  std::vector<std::unique_ptr<Pooled>> idle_;  // guarded by mu_
  std::size_t open_ = 0;                       // idle + in use; guarded by mu_

  locksmith::SubscriptionPtr subscription_;  // last: unsubscribes before the rest goes
};

}  // namespace rotating_service
