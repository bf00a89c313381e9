// SecretsManagerImpl: the SecretsManager behind SecretsManager::Create. Internal; tests include
// it (ImplOf) to drive background work by hand with a fake clock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/secrets_manager.h"
#include "runtime/access_counts.h"
#include "runtime/background_worker.h"
#include "runtime/circuit_breaker.h"
#include "runtime/secret_cache.h"
#include "runtime/single_flight.h"
#include "runtime/subscriptions.h"

namespace locksmith::internal {

// Error message when the breaker refuses a call.
inline constexpr std::string_view kBreakerOpenMessage =
    "back end unavailable (circuit breaker open)";

class SecretsManagerImpl final : public SecretsManager, private AccessCountSource {
 public:
  // `owned_metrics` is the manager's own registry when the caller gave none (`metrics` points
  // into it then).
  SecretsManagerImpl(const SecretsManagerOptions& options, ProviderPtr provider, Clock& clock,
                     Random& random, Metrics* metrics, std::unique_ptr<Metrics> owned_metrics);
  ~SecretsManagerImpl() override;

  Result<SecretValue> Get(std::string_view ref) override;
  Result<Secret> GetVersion(std::string_view ref, const VersionSelector& selector) override;
  Result<SecretValue> Refresh(std::string_view ref) override;
  std::optional<Secret> TryGetCachedVersion(std::string_view ref,
                                            const VersionSelector& selector) override;
  Result<Secret> RefreshVersion(std::string_view ref, const VersionSelector& selector) override;
  Result<PreloadResult> Preload(const std::vector<std::string>& refs) override;
  SubscriptionPtr Subscribe(std::string_view ref, UpdateCallback callback) override;
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override;
  Result<VersionInfo> Rotate(std::string_view name, std::size_t bytes) override;
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<SecretDescription> Describe(std::string_view name) override;
  Result<StatusDetailList> BackendDetails() override;
  Result<PrivilegeProbeList> ProbeLeastPrivilege() override;
  ManagerStatus Status() const override;
  std::string_view Backend() const override { return backend_; }
  Metrics& metrics() override { return *metrics_; }

  // Refreshes every entry whose refresh time has passed. The background thread calls this;
  // tests with background_refresh off call it by hand.
  void RefreshDue();
  // Runs queued background work (refresh-ahead) on the calling thread; for tests with
  // background_refresh off.
  void RunBackgroundWorkForTest();
  Provider& provider() { return *provider_; }

  // Callers currently waiting for another caller's fetch of the same key.
  std::size_t SingleFlightWaitersForTest() const { return flights_.WaitersForTest(); }

 private:
  enum class Join { kJoin, kFresh };
  // Which failures CallGuarded retries: every retryable one (reads), or only kThrottled (writes,
  // where a timed-out request may have been carried out).
  enum class RetryOn { kRetryable, kThrottledOnly };

  // The slow path of Get/GetVersion: fetch (single-flight) and, on back-end trouble, fall back
  // to a value young enough.
  Result<Secret> LoadOrStale(const std::string& key, const EntrySpec& spec);
  // A single-flight fetch that stores into the cache and notifies subscribers of a change.
  FetchOutcome Load(const std::string& key, const EntrySpec& spec, Join join);
  // One fetch: breaker, retries, field extraction, store.
  FetchOutcome FetchAndStore(const std::string& key, const EntrySpec& spec);
  // Breaker + retry loop around provider_->Get.
  FetchOutcome CallBackend(const EntrySpec& spec);
  // Runs `call` (one provider call) behind the circuit breaker, retrying as `retry_on` says with
  // backoff, and records the outcome on the breaker. Each try is timed and counted in the
  // metrics as `operation`; a provider exception becomes kInternal. `rejected` (optional) tells
  // a breaker rejection apart.
  template <typename Call>
  auto CallGuarded(std::string_view operation, Call call, bool* rejected = nullptr,
                   RetryOn retry_on = RetryOn::kRetryable) -> decltype(call());
  // One timed provider call (see CallGuarded).
  template <typename Call>
  auto CallTimed(std::string_view operation, Call& call) -> decltype(call());
  // After a successful write of `name`: expire its cached entries and read the subscribed ones
  // again, so subscribers hear of the new version now.
  void AfterWrite(std::string_view name);
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
  // secrets_manager_access_total for a Get/GetVersion of `ref` answered by the back end (or
  // failed); cache hits are counted by cache_ (ForEachAccessCount) unless !hits_counted_here_.
  void RecordAccess(std::string_view ref, bool success);
  void ForEachAccessCount(const std::function<void(std::string_view secret,
                                                   std::uint64_t successes)>& add) const override;

  const SecretsManagerOptions options_;
  ProviderPtr provider_;
  const std::string backend_;
  Clock& clock_;
  Random& random_;
  const std::unique_ptr<Metrics> owned_metrics_;
  Metrics* const metrics_;  // never null
  // True when metrics_ asks this manager for its cache hits (Metrics::Create's); false: every
  // hit is recorded through metrics_->RecordAccess.
  bool hits_counted_here_ = false;

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

// The implementation behind a manager made by SecretsManager::Create or FromEnv.
inline SecretsManagerImpl& ImplOf(SecretsManager& manager) {
  return static_cast<SecretsManagerImpl&>(manager);
}

}  // namespace locksmith::internal
