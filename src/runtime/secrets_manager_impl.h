// SecretsManagerImpl: the SecretsManager behind SecretsManager::Create. Internal; tests include
// it for the ...ForTest hooks.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/secrets_manager.h"
#include "runtime/background_worker.h"
#include "runtime/circuit_breaker.h"
#include "runtime/secret_cache.h"
#include "runtime/single_flight.h"
#include "runtime/subscriptions.h"

namespace locksmith::internal {

// Error message when the breaker refuses a call.
inline constexpr std::string_view kBreakerOpenMessage =
    "back end unavailable (circuit breaker open)";

class SecretsManagerImpl final : public SecretsManager {
 public:
  SecretsManagerImpl(const SecretsManagerOptions& options, ProviderPtr provider, Clock& clock,
                     Random& random, Metrics* metrics);
  ~SecretsManagerImpl() override;

  Result<SecretValue> Get(std::string_view ref) override;
  Result<Secret> GetVersion(std::string_view ref, const VersionSelector& selector) override;
  Result<SecretValue> Refresh(std::string_view ref) override;
  Result<PreloadResult> Preload(const std::vector<std::string>& refs) override;
  SubscriptionPtr Subscribe(std::string_view ref, UpdateCallback callback) override;
  void RefreshDue() override;
  ManagerStatus Status() const override;
  Provider& provider() override { return *provider_; }
  void RunBackgroundWorkForTest() override;

  // Callers currently waiting for another caller's fetch of the same key.
  std::size_t SingleFlightWaitersForTest() const { return flights_.WaitersForTest(); }

 private:
  enum class Join { kJoin, kFresh };

  // The slow path of Get/GetVersion: fetch (single-flight) and, on back-end trouble, fall back
  // to a value young enough.
  Result<Secret> LoadOrStale(const std::string& key, const EntrySpec& spec);
  // A single-flight fetch that stores into the cache and notifies subscribers of a change.
  FetchOutcome Load(const std::string& key, const EntrySpec& spec, Join join);
  // One fetch: breaker, retries, field extraction, store.
  FetchOutcome FetchAndStore(const std::string& key, const EntrySpec& spec);
  // Breaker + retry loop around provider_->Get.
  FetchOutcome CallBackend(const EntrySpec& spec);
  Result<Secret> CallProviderOnce(const EntrySpec& spec);
  // Breaker + retry loop around provider_->GetCurrentBatch.
  Result<BatchResult> CallBatch(const std::vector<std::string>& names);
  // Runs `once` behind the circuit breaker, retrying retryable errors with backoff, and records
  // the outcome on the breaker. `rejected` (optional) tells a breaker rejection apart.
  template <typename T, typename Once>
  Result<T> CallGuarded(Once once, bool* rejected = nullptr);
  Result<BatchResult> CallBatchOnce(const std::vector<std::string>& names);
  // Field extraction, age metric, cache store of a freshly fetched whole `secret`. Returns a
  // copy of what was stored; `version_changed` says whether it replaced another version.
  Result<Secret> StoreFetched(const std::string& key, const EntrySpec& spec, Secret secret,
                              bool& version_changed);
  // A refresh of a cached entry (refresh-ahead or due); failures keep the old value.
  void RefreshKey(const std::string& key);

  std::chrono::nanoseconds JitteredTtl();
  void PublishBreakerState();
  void WarnStaleServed(const EntrySpec& spec, std::chrono::steady_clock::time_point fetched_at);
  void ScheduleRefresh(std::string_view key);

  const SecretsManagerOptions options_;
  ProviderPtr provider_;
  const std::string backend_;
  Clock& clock_;
  Random& random_;
  Metrics* const metrics_;

  mutable SecretCache cache_;
  SingleFlight flights_;
  CircuitBreaker breaker_;
  std::shared_ptr<SubscriberRegistry> subscribers_;
  std::atomic<std::uint64_t> misses_{0};

  std::mutex warn_mu_;
  std::uint64_t stale_warned_opening_ = 0;                      // guarded by warn_mu_
  std::chrono::steady_clock::time_point last_stale_warning_{};  // guarded by warn_mu_

  BackgroundWorker worker_;  // last: its thread uses everything above
};

}  // namespace locksmith::internal
