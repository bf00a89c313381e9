// VaultAuth: the Vault token and its lifetime. Logs in with AppRole (or takes a token / token
// file), renews the token with renew-self at about two thirds of its TTL (with jitter, like
// Vault's own LifetimeWatcher), logs in again when a renewal comes back shorter than asked (the
// max TTL is near) and, after a 403, checks the token and logs in once if it was expired or
// revoked. A token that may not look itself up (lookup-self denied, not "invalid token") is
// used with an unknown TTL: no renewal. Tokens and secret ids are SecretValues and never logged.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "providers/vault/vault_api.h"

namespace locksmith::internal {

struct VaultAuthOptions {
  std::optional<SecretValue> token;
  std::filesystem::path token_file;
  std::string role_id;
  std::optional<SecretValue> secret_id;
  std::filesystem::path secret_id_file;
  std::string approle_mount = "approle";
  bool background = true;
};

// What lookup-self says about the token (for `locksmith status`).
struct VaultTokenInfo {
  std::chrono::seconds ttl{0};
  bool renewable = false;
  std::vector<std::string> policies;
  std::string expire_time;  // RFC 3339, empty for a token that never expires
};

// Thread-safe.
class VaultAuth {
 public:
  // Logs in (AppRole) or looks the token up, then starts the background thread if asked.
  static Result<std::unique_ptr<VaultAuth>> Create(const VaultApi& api, VaultAuthOptions options,
                                                   Clock& clock, Random& random);
  ~VaultAuth();
  VaultAuth(const VaultAuth&) = delete;
  VaultAuth& operator=(const VaultAuth&) = delete;

  struct Token {
    SecretValue value;
    std::uint64_t generation = 0;  // changes at every login
  };
  // The token to use now. If the token is past its expiry (the background thread could not run)
  // this logs in first.
  Result<Token> Current();

  // After a 403 made with token `generation`: returns true when a new token is ready to retry
  // with (someone else already logged in, or the token was dead and a login succeeded); false
  // when the token is fine and the 403 is a real permission denial.
  Result<bool> RecoverFromForbidden(std::uint64_t generation);

  // Renews or logs in if the scheduled time has come. The background thread calls this.
  void RunDue();
  std::optional<std::chrono::steady_clock::time_point> NextActionAt() const;
  // Makes the background thread re-check the clock now (tests advance a FakeClock, then wake).
  void Wake();

  Result<VaultTokenInfo> LookupSelf();

  std::uint64_t logins() const { return logins_.load(); }
  std::uint64_t renewals() const { return renewals_.load(); }

 private:
  enum class Action { kNone, kRenew, kLogin };

  VaultAuth(const VaultApi& api, VaultAuthOptions options, Clock& clock, Random& random);
  bool CanLogin() const;
  // Each of these runs under op_mu_.
  Result<void> LoginLocked();
  Result<void> RenewLocked();
  Result<void> LookupInitialLocked();
  void ScheduleLocked(std::chrono::seconds lease, bool renewable, bool capped);
  void ScheduleRetryLocked();
  std::chrono::steady_clock::duration Jittered(std::chrono::steady_clock::duration d);
  void BackgroundLoop();

  const VaultApi& api_;
  const VaultAuthOptions options_;
  Clock& clock_;
  Random& random_;

  std::mutex op_mu_;       // serialises logins and renewals (network calls)
  mutable std::mutex mu_;  // guards the fields below; never held across a network call
  std::condition_variable cv_;
  SecretValue token_;
  std::uint64_t generation_ = 0;
  std::chrono::seconds requested_ttl_{0};
  std::optional<std::chrono::steady_clock::time_point> expires_at_;
  std::optional<std::chrono::steady_clock::time_point> next_action_at_;
  Action next_action_ = Action::kNone;
  bool stop_ = false;
  bool woken_ = false;
  std::atomic<std::uint64_t> logins_{0};
  std::atomic<std::uint64_t> renewals_{0};
  std::atomic<bool> lookup_denied_warned_{false};
  std::thread thread_;
};

}  // namespace locksmith::internal
