// SecretsManager: the runtime every service uses, over any Provider. It caches values with a
// jittered TTL, refreshes them ahead of expiry in the background, collapses concurrent misses
// into one back-end call, retries retryable failures with backoff, opens a circuit breaker when
// the back end keeps failing (serving last good values up to a maximum staleness), and calls
// subscribers when the version behind a name changes. Writes and admin calls (Put, Rotate,
// Promote, List, Describe) go through it too, so they share the breaker, the retries and the
// metrics, and a write is seen at once by the cache and by subscribers.
//
//   auto secrets = locksmith::SecretsManager::FromEnv();   // Result<SecretsManagerPtr>
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/metrics.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct CacheOptions {
  std::chrono::milliseconds ttl = std::chrono::minutes(5);
  // Each entry's TTL is drawn uniformly from [ttl * (1 - ttl_jitter), ttl].
  double ttl_jitter = 0.1;
  // A background refresh starts once this fraction of an entry's TTL has passed.
  double refresh_ahead = 0.8;
  // A value is never served longer than this after it was last fetched successfully, even
  // while the back end is down.
  std::chrono::milliseconds max_staleness = std::chrono::hours(1);
};

struct RetryOptions {
  int max_attempts = 3;  // total tries, including the first
  std::chrono::milliseconds base_delay = std::chrono::milliseconds(100);
  std::chrono::milliseconds max_delay = std::chrono::seconds(5);
};

struct BreakerOptions {
  int failure_threshold = 3;  // consecutive failed back-end calls that open it
  std::chrono::milliseconds open_duration = std::chrono::minutes(5);
};

struct SecretsManagerOptions {
  CacheOptions cache;
  RetryOptions retry;
  BreakerOptions breaker;
  // Start a thread that refreshes due entries and runs refresh-ahead work. Tests turn it off and
  // drive the work by hand with a fake clock (src/runtime/secrets_manager_impl.h).
  bool background_refresh = true;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view BreakerStateName(BreakerState state);  // "closed", "open", "half_open"

struct SecretUpdate {
  std::string ref;  // the reference subscribed to ("database#password")
  VersionInfo version;
  const SecretValue& value;  // valid only during the callback
};
using UpdateCallback = std::function<void(const SecretUpdate&)>;

// Unsubscribes when destroyed. Destroying it waits for a callback running on another thread.
class Subscription {
 public:
  virtual ~Subscription() = default;
};
using SubscriptionPtr = std::unique_ptr<Subscription>;

struct ManagerStatus {
  std::string backend;  // Provider::Kind()
  BreakerState breaker = BreakerState::kClosed;
  std::size_t cached_entries = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
};

// What SecretsManager::Preload did.
struct PreloadResult {
  std::vector<std::string> loaded;                    // references now cached
  std::vector<std::pair<std::string, Error>> failed;  // references not loaded, with the reason
};

class SecretsManager;
using SecretsManagerPtr = std::unique_ptr<SecretsManager>;

// What SecretsManager::Create needs besides the provider; every field has a default, so a test
// writes `Create(std::move(provider), {.clock = &fake_clock})`.
struct Dependencies {
  SecretsManagerOptions options = {};
  Clock* clock = nullptr;      // null: SystemClock(); must outlive the manager
  Random* random = nullptr;    // null: SystemRandom(); must outlive the manager
  Metrics* metrics = nullptr;  // null: the manager creates and owns its own (see metrics())
};

// Thread-safe: every method may be called from any thread at once. Get on a warm cache never
// waits on the back end. References are "name" or "name#field"; the admin calls take names.
class SecretsManager {
 public:
  virtual ~SecretsManager() = default;

  // The current value. Errors: those of the provider, kUnavailable when the breaker is open and
  // there is no value young enough to serve (see docs/runtime.md).
  virtual Result<SecretValue> Get(std::string_view ref) = 0;
  // A specific version or stage (cached too), with its version info.
  virtual Result<Secret> GetVersion(std::string_view ref, const VersionSelector& selector) = 0;
  // Drops the cached entry and fetches again now (one call, no fixed sleep).
  virtual Result<SecretValue> Refresh(std::string_view ref) = 0;
  // GetVersion's answer only if it is in the cache and fresh; never calls the back end, never
  // waits on another caller's fetch (a caller that must not block, such as the agent's I/O
  // thread, tries this first). Counts a cache hit when it answers; a miss is not counted.
  virtual std::optional<Secret> TryGetCachedVersion(std::string_view ref,
                                                    const VersionSelector& selector) = 0;
  // GetVersion past the cache: fetches `ref` at `selector` from the back end now (one call; a
  // concurrent caller waits for a fetch that started after it asked) and caches the answer.
  // Errors: those of GetVersion, without falling back to a stale value.
  virtual Result<Secret> RefreshVersion(std::string_view ref, const VersionSelector& selector) = 0;

  // Start-up preload: loads `refs` ("name" or "name#field") into the cache in as few back-end
  // calls as the provider allows (Provider::GetCurrentBatch; AWS reads 20 secrets per call), as
  // if each had been read with Get; references to the same secret share one read. A reference
  // that cannot be loaded is listed in `failed`. Errors (nothing loaded): the batch call's own
  // after retries, kUnavailable when the circuit breaker is open. The default reads each
  // reference with Get.
  virtual Result<PreloadResult> Preload(const std::vector<std::string>& refs) {
    PreloadResult result;
    for (const std::string& ref : refs) {
      auto value = Get(ref);
      if (value.ok()) {
        result.loaded.push_back(ref);
      } else {
        result.failed.emplace_back(ref, std::move(value).error());
      }
    }
    return result;
  }

  // `callback` runs after the version behind `ref` changes (and only then), on the thread that
  // noticed the change. It is not called for the value present when subscribing.
  virtual SubscriptionPtr Subscribe(std::string_view ref, UpdateCallback callback) = 0;

  // --- Writes and admin calls: behind the circuit breaker, counted in the metrics (operation
  // "put", "promote", "list", "describe", "status"). Reads (List, Describe, BackendDetails) are
  // retried like Get; writes only on kThrottled (a throttled request was not carried out; a timed
  // out one may have been, and a second try would store a second version). After a write the
  // cached entries of `name` are dropped and subscribed references are read again, so
  // subscribers hear of the new version before the call returns.

  // Stores `value` as a new version: kCurrent makes it current (the old current becomes
  // previous); kPending stages it for PromoteToCurrent.
  virtual Result<VersionInfo> Put(std::string_view name, const SecretValue& value,
                                  Stage stage = Stage::kCurrent) = 0;
  // Stores `bytes` fresh random bytes (base64 text) as the new current version: put as pending,
  // then promoted, as AWS rotation does (a back end without a pending stage gets a plain put).
  virtual Result<VersionInfo> Rotate(std::string_view name, std::size_t bytes = 32) = 0;
  // Makes `version_id` current; the old current becomes previous.
  virtual Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) = 0;
  // Logical names starting with `prefix` (empty: all), sorted.
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;
  // Versions and stages of `name`, never its value.
  virtual Result<SecretDescription> Describe(std::string_view name) = 0;
  // The back end's own facts for `locksmith status` (Provider::StatusDetails).
  virtual Result<StatusDetailList> BackendDetails() = 0;
  // The provider's least-privilege probes for `locksmith check` (Provider::ProbeLeastPrivilege),
  // behind the breaker like the other admin calls (operation "privileges").
  virtual Result<PrivilegeProbeList> ProbeLeastPrivilege() {
    return MakeError(ErrorCode::kUnimplemented, "this manager cannot probe its back end");
  }

  virtual ManagerStatus Status() const = 0;
  // Provider::Kind() of the back end: "local", "dotenv", "vault", "aws".
  virtual std::string_view Backend() const = 0;
  // The metrics this manager records to (its own unless Dependencies::metrics was given): render
  // them for a scrape with metrics().RenderText().
  virtual Metrics& metrics() = 0;

  // The one-line start: reads the configuration from the process environment (SECRETS_BACKEND,
  // VAULT_*, AWS_*, LOCKSMITH_*: README "Configuration"), builds the provider, owns its metrics
  // and starts the background refresh. A broken configuration is one kInvalidArgument naming
  // every bad variable (never a secret's value).
  static Result<SecretsManagerPtr> FromEnv();
  // The same over another environment (tests, or a service with its own settings source).
  static Result<SecretsManagerPtr> FromEnv(const EnvLookup& env);

  // A manager over `provider` (owned). Errors: kInvalidArgument for a null provider or bad
  // options.
  static Result<SecretsManagerPtr> Create(ProviderPtr provider, Dependencies dependencies = {});
};

}  // namespace locksmith
