#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "core/rotate.h"
#include "core/scrub.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"
#include "runtime/backoff.h"
#include "runtime/secrets_manager_impl.h"

namespace locksmith {
namespace internal {
namespace {

using std::chrono::steady_clock;

// Between stale-value warnings while the breaker is closed (while it is open: once per opening).
constexpr auto kStaleWarningInterval = std::chrono::minutes(1);

// How often the background thread looks for due entries: a tenth of the TTL, at most 1 s.
std::chrono::nanoseconds RefreshPeriod(const CacheOptions& cache) {
  auto period = std::chrono::duration_cast<std::chrono::nanoseconds>(cache.ttl) / 10;
  return std::clamp<std::chrono::nanoseconds>(period, std::chrono::milliseconds(1),
                                              std::chrono::seconds(1));
}

// A write's result with the value (raw, JSON-escaped, base64) redacted from its error: the
// providers never quote a back end's text for writes, and this holds for any Provider.
Result<VersionInfo> WithoutValue(Result<VersionInfo> result, const SecretValue& value) {
  if (result.ok()) {
    return result;
  }
  const std::string_view secrets[] = {value.RevealUnsafe()};
  Error error = std::move(result).error();
  error.message = RedactSecrets(error.message, secrets);
  return error;
}

Result<EntrySpec> SpecForRef(std::string_view ref, const VersionSelector& selector,
                             bool versioned) {
  LOCKSMITH_ASSIGN_OR_RETURN(SecretRef parsed, ParseSecretRef(ref));
  return EntrySpec{std::move(parsed.name), std::move(parsed.field), selector, versioned};
}

Result<void> ValidateOptions(const SecretsManagerOptions& o) {
  auto bad = [](std::string what) {
    return MakeError(ErrorCode::kInvalidArgument, std::move(what));
  };
  if (o.cache.ttl <= std::chrono::milliseconds(0)) {
    return bad("cache ttl must be positive");
  }
  if (!(o.cache.ttl_jitter >= 0.0 && o.cache.ttl_jitter < 1.0)) {
    return bad("cache ttl_jitter must be in [0, 1)");
  }
  if (!(o.cache.refresh_ahead > 0.0 && o.cache.refresh_ahead <= 1.0)) {
    return bad("cache refresh_ahead must be in (0, 1]");
  }
  if (o.cache.max_staleness < std::chrono::milliseconds(0)) {
    return bad("cache max_staleness must not be negative");
  }
  if (o.retry.max_attempts < 1) {
    return bad("retry max_attempts must be at least 1");
  }
  if (o.retry.base_delay < std::chrono::milliseconds(0) ||
      o.retry.max_delay < std::chrono::milliseconds(0)) {
    return bad("retry delays must not be negative");
  }
  if (o.breaker.failure_threshold < 1) {
    return bad("breaker failure_threshold must be at least 1");
  }
  if (o.breaker.open_duration < std::chrono::milliseconds(0)) {
    return bad("breaker open_duration must not be negative");
  }
  return OkResult();
}

}  // namespace

SecretsManagerImpl::SecretsManagerImpl(const SecretsManagerOptions& options, ProviderPtr provider,
                                       Clock& clock, Random& random, Metrics* metrics,
                                       std::unique_ptr<Metrics> owned_metrics)
    : options_(options),
      provider_(std::move(provider)),
      backend_(provider_->Kind()),
      clock_(clock),
      random_(random),
      owned_metrics_(std::move(owned_metrics)),
      metrics_(metrics != nullptr ? metrics : owned_metrics_.get()),
      breaker_(options.breaker, clock),
      subscribers_(SubscriberRegistry::Make()),
      worker_([this](const std::string& key) { RefreshKey(key); }, [this] { RefreshDue(); },
              RefreshPeriod(options.cache), options.background_refresh) {
  PublishBreakerState();
  hits_counted_here_ = AttachAccessSource(*metrics_, this);
}

SecretsManagerImpl::~SecretsManagerImpl() {
  if (hits_counted_here_) {
    DetachAccessSource(*metrics_, this);  // waits for a render asking this manager
  }
  worker_.Stop();
}

void SecretsManagerImpl::RecordAccess(std::string_view ref, bool success) {
  auto parsed = ParseSecretRef(ref);
  // A malformed reference (a hostile agent client) never becomes a label value of its own.
  metrics_->RecordAccess(parsed.ok() ? std::string_view(parsed->name) : "(invalid)", success);
}

void SecretsManagerImpl::ForEachAccessCount(
    const std::function<void(std::string_view secret, std::uint64_t successes)>& add) const {
  cache_.ForEachEntryHits(add);
}

Result<SecretValue> SecretsManagerImpl::Get(std::string_view ref) {
  // Hot path: one uncontended per-thread lock, one lookup, one copy.
  SecretValue value;
  // The coarse clock: a TTL check does not need better than the kernel tick.
  const LookupResult hit = cache_.LookupValue(ref, clock_.CoarseNow(), value);
  if (hit.freshness == Freshness::kFresh) {
    metrics_->RecordCacheHit();
    if (!hits_counted_here_) {
      RecordAccess(ref, true);
    }
    if (hit.refresh_claimed) {
      ScheduleRefresh(ref);
    }
    return value;
  }
  Result<Secret> secret = [&]() -> Result<Secret> {
    LOCKSMITH_ASSIGN_OR_RETURN(EntrySpec spec, SpecForRef(ref, VersionSelector::Current(), false));
    misses_.fetch_add(1, std::memory_order_relaxed);
    metrics_->RecordCacheMiss();
    return LoadOrStale(std::string(ref), spec);
  }();
  RecordAccess(ref, secret.ok());
  if (!secret.ok()) {
    return std::move(secret).error();
  }
  return std::move(secret->value);
}

Result<Secret> SecretsManagerImpl::GetVersion(std::string_view ref,
                                              const VersionSelector& selector) {
  const std::string key = VersionKey(ref, selector);
  Secret secret;
  const LookupResult hit = cache_.LookupSecret(key, clock_.CoarseNow(), secret);
  if (hit.freshness == Freshness::kFresh) {
    metrics_->RecordCacheHit();
    if (!hits_counted_here_) {
      RecordAccess(ref, true);
    }
    if (hit.refresh_claimed) {
      ScheduleRefresh(key);
    }
    return secret;
  }
  Result<Secret> loaded = [&]() -> Result<Secret> {
    LOCKSMITH_ASSIGN_OR_RETURN(EntrySpec spec, SpecForRef(ref, selector, true));
    misses_.fetch_add(1, std::memory_order_relaxed);
    metrics_->RecordCacheMiss();
    return LoadOrStale(key, spec);
  }();
  RecordAccess(ref, loaded.ok());
  return loaded;
}

Result<SecretValue> SecretsManagerImpl::Refresh(std::string_view ref) {
  LOCKSMITH_ASSIGN_OR_RETURN(EntrySpec spec, SpecForRef(ref, VersionSelector::Current(), false));
  FetchOutcome outcome = Load(std::string(ref), spec, Join::kFresh);
  if (!outcome.result.ok()) {
    return std::move(outcome.result).error();
  }
  return std::move(outcome.result->value);
}

std::optional<Secret> SecretsManagerImpl::TryGetCachedVersion(std::string_view ref,
                                                              const VersionSelector& selector) {
  Secret secret;
  const LookupResult hit =
      cache_.LookupSecret(VersionKey(ref, selector), clock_.CoarseNow(), secret);
  if (hit.freshness != Freshness::kFresh) {
    return std::nullopt;
  }
  metrics_->RecordCacheHit();
  if (!hits_counted_here_) {
    RecordAccess(ref, true);
  }
  if (hit.refresh_claimed) {
    ScheduleRefresh(VersionKey(ref, selector));
  }
  return secret;
}

Result<Secret> SecretsManagerImpl::RefreshVersion(std::string_view ref,
                                                  const VersionSelector& selector) {
  LOCKSMITH_ASSIGN_OR_RETURN(EntrySpec spec, SpecForRef(ref, selector, true));
  FetchOutcome outcome = Load(VersionKey(ref, selector), spec, Join::kFresh);
  return std::move(outcome.result);
}

SubscriptionPtr SecretsManagerImpl::Subscribe(std::string_view ref, UpdateCallback callback) {
  class Inert final : public Subscription {};
  if (auto parsed = ParseSecretRef(ref); !parsed.ok()) {
    Logger()->warn("subscribe: {}; the subscription will never fire", parsed.error().message);
    return std::make_unique<Inert>();
  }
  SubscriptionPtr handle = subscribers_->Add(std::string(ref), std::move(callback));
  // Track it: once cached, RefreshDue keeps it fresh even if nobody calls Get.
  if (auto loaded = Get(ref); !loaded.ok()) {
    Logger()->warn("subscribe: first fetch of '{}' failed ({}); will retry in the background", ref,
                   loaded.error().ToString());
  }
  return handle;
}

void SecretsManagerImpl::RefreshDue() {
  for (const DueEntry& due : cache_.ClaimDue(clock_.Now())) {
    RefreshKey(due.key);
  }
  // Subscribed references whose first fetch failed.
  for (const std::string& ref : subscribers_->Refs()) {
    if (cache_.Contains(ref)) {
      continue;
    }
    auto spec = SpecForRef(ref, VersionSelector::Current(), false);
    if (spec.ok()) {
      (void)Load(ref, *spec, Join::kJoin);
    }
  }
  PublishBreakerState();
}

ManagerStatus SecretsManagerImpl::Status() const {
  ManagerStatus status;
  status.backend = backend_;
  status.breaker = breaker_.state();
  status.cached_entries = cache_.size();
  status.cache_hits = cache_.hits();
  status.cache_misses = misses_.load(std::memory_order_relaxed);
  return status;
}

void SecretsManagerImpl::RunBackgroundWorkForTest() { worker_.RunQueued(); }

Result<Secret> SecretsManagerImpl::LoadOrStale(const std::string& key, const EntrySpec& spec) {
  FetchOutcome outcome = Load(key, spec, Join::kJoin);
  if (outcome.result.ok()) {
    return std::move(outcome.result);
  }
  const ErrorCode code = outcome.result.error().code;
  if (outcome.breaker_rejected || IsRetryable(code)) {
    const auto now = clock_.Now();
    const auto fetched_at = cache_.FetchedAt(key);
    if (auto stale = cache_.LookupStale(key, now, options_.cache.max_staleness)) {
      if (metrics_ != nullptr) {
        metrics_->RecordStaleServed(spec.name);
      }
      WarnStaleServed(spec, fetched_at.value_or(now));
      return std::move(*stale);
    }
    if (outcome.breaker_rejected) {
      return MakeError(ErrorCode::kUnavailable, std::string(kBreakerOpenMessage) +
                                                    " and no cached value within max staleness");
    }
  }
  return std::move(outcome.result).error();
}

FetchOutcome SecretsManagerImpl::Load(const std::string& key, const EntrySpec& spec, Join join) {
  FetchOutcome outcome =
      flights_.Do(key, join == Join::kJoin, [&] { return FetchAndStore(key, spec); });
  // Outside every lock and outside the flight, so a callback may call back into the manager.
  if (outcome.version_changed && !spec.versioned && outcome.result.ok()) {
    subscribers_->Notify(key, outcome.result->version, outcome.result->value);
  }
  return outcome;
}

FetchOutcome SecretsManagerImpl::FetchAndStore(const std::string& key, const EntrySpec& spec) {
  FetchOutcome outcome = CallBackend(spec);
  if (!outcome.result.ok()) {
    return outcome;
  }
  outcome.result =
      StoreFetched(key, spec, std::move(outcome.result).value(), outcome.version_changed);
  return outcome;
}

Result<Secret> SecretsManagerImpl::StoreFetched(const std::string& key, const EntrySpec& spec,
                                                Secret secret, bool& version_changed) {
  version_changed = false;
  if (!spec.field.empty()) {
    LOCKSMITH_ASSIGN_OR_RETURN(secret.value, ExtractJsonField(secret.value, spec.field));
  }
  secret.name = spec.name;
  // The age of the current version: from a plain Get, or a GetVersion that found the current
  // one (the agent reads every secret through GetVersion).
  const bool is_current = !spec.versioned || secret.version.HasStage(Stage::kCurrent);
  if (is_current && secret.version.created != std::chrono::system_clock::time_point{}) {
    const std::chrono::duration<double, std::ratio<86400>> age =
        clock_.WallNow() - secret.version.created;
    metrics_->SetSecretAgeDays(spec.name, age.count());
  }
  Secret copy = CloneSecret(secret);
  version_changed = cache_.Store(key, spec, std::move(secret), clock_.Now(), JitteredTtl(),
                                 options_.cache.refresh_ahead);
  return copy;
}

Result<PreloadResult> SecretsManagerImpl::Preload(const std::vector<std::string>& refs) {
  PreloadResult result;
  std::vector<std::pair<std::string, EntrySpec>> wanted;
  std::vector<std::string> names;  // each secret once, in first-seen order
  std::set<std::string, std::less<>> seen_refs;
  std::set<std::string, std::less<>> seen_names;
  for (const std::string& ref : refs) {
    if (!seen_refs.insert(ref).second) {
      continue;
    }
    auto spec = SpecForRef(ref, VersionSelector::Current(), false);
    if (!spec.ok()) {
      result.failed.emplace_back(ref, std::move(spec).error());
      continue;
    }
    if (seen_names.insert(spec->name).second) {
      names.push_back(spec->name);
    }
    wanted.emplace_back(ref, std::move(spec).value());
  }
  if (names.empty()) {
    return result;
  }
  LOCKSMITH_ASSIGN_OR_RETURN(BatchResult batch, CallGuarded("batch_get", [&] {
                               return provider_->GetCurrentBatch(names);
                             }));
  std::map<std::string_view, Secret*> found;
  for (Secret& secret : batch.secrets) {
    found.emplace(secret.name, &secret);
  }
  std::map<std::string_view, const Error*> errors;
  for (const auto& [name, error] : batch.errors) {
    errors.emplace(name, &error);
  }
  for (const auto& [ref, spec] : wanted) {
    auto it = found.find(spec.name);
    if (it == found.end()) {
      auto error = errors.find(spec.name);
      result.failed.emplace_back(
          ref, error != errors.end()
                   ? *error->second
                   : MakeError(ErrorCode::kNotFound,
                               "secret '" + spec.name + "' was not returned by the back end"));
      continue;
    }
    bool changed = false;
    auto stored = StoreFetched(ref, spec, CloneSecret(*it->second), changed);
    if (!stored.ok()) {
      result.failed.emplace_back(ref, std::move(stored).error());
      continue;
    }
    if (changed) {
      subscribers_->Notify(ref, stored->version, stored->value);
    }
    result.loaded.push_back(ref);
  }
  return result;
}

template <typename Call>
auto SecretsManagerImpl::CallTimed(std::string_view operation, Call& call) -> decltype(call()) {
  const auto start = clock_.Now();
  decltype(call()) result = MakeError(ErrorCode::kInternal, "the provider threw an exception");
  try {
    result = call();
  } catch (...) {
    // Not the exception's text: it is not ours and might quote what it was parsing.
    Logger()->error("provider '{}' threw an exception during '{}'", backend_, operation);
  }
  const std::chrono::duration<double> latency = clock_.Now() - start;
  metrics_->RecordBackendCall(backend_, operation, result.ok(), latency.count());
  return result;
}

template <typename Call>
auto SecretsManagerImpl::CallGuarded(std::string_view operation, Call call, bool* rejected,
                                     RetryOn retry_on) -> decltype(call()) {
  const auto admission = breaker_.Allow();
  if (admission == CircuitBreaker::Admission::kRejected) {
    if (rejected != nullptr) {
      *rejected = true;
    }
    PublishBreakerState();
    return MakeError(ErrorCode::kUnavailable, std::string(kBreakerOpenMessage));
  }
  auto should_retry = [retry_on](const Error& error) {
    return retry_on == RetryOn::kRetryable ? IsRetryable(error.code)
                                           : error.code == ErrorCode::kThrottled;
  };
  decltype(call()) result = CallTimed(operation, call);
  for (int attempt = 1;
       attempt < options_.retry.max_attempts && !result.ok() && should_retry(result.error());
       ++attempt) {
    auto delay = BackoffDelay(options_.retry, attempt, random_);
    if (const auto& asked = result.error().retry_after) {
      // The back end said when to come back: never sooner. Later than we would ever wait
      // (retry.max_delay) and the caller gets the throttling error now instead.
      if (*asked > options_.retry.max_delay) {
        break;
      }
      delay = std::max(delay, *asked);
    }
    clock_.SleepFor(delay);
    result = CallTimed(operation, call);
  }
  if (!result.ok() && IsRetryable(result.error().code)) {
    if (breaker_.RecordFailure(admission)) {
      Logger()->warn(
          "circuit breaker for back end '{}' opened (last error: {}); failing fast for {} ms",
          backend_, result.error().ToString(), options_.breaker.open_duration.count());
    }
  } else {
    breaker_.RecordSuccess(admission);
  }
  PublishBreakerState();
  return result;
}

FetchOutcome SecretsManagerImpl::CallBackend(const EntrySpec& spec) {
  FetchOutcome outcome;
  outcome.result = CallGuarded(
      "get", [&] { return provider_->Get(spec.name, spec.selector); }, &outcome.breaker_rejected);
  return outcome;
}

Result<VersionInfo> SecretsManagerImpl::Put(std::string_view name, const SecretValue& value,
                                            Stage stage) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  auto put = CallGuarded(
      "put", [&] { return WithoutValue(provider_->Put(name, value, stage), value); }, nullptr,
      RetryOn::kThrottledOnly);
  // A pending put can come back current too (AWS: the first version of a secret created empty).
  if (put.ok() && (stage == Stage::kCurrent || put->HasStage(Stage::kCurrent))) {
    AfterWrite(name);
  }
  return put;
}

Result<VersionInfo> SecretsManagerImpl::Rotate(std::string_view name, std::size_t bytes) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue value, GenerateSecretValue(random_, bytes));
  auto pending = CallGuarded(
      "put", [&] { return WithoutValue(provider_->Put(name, value, Stage::kPending), value); },
      nullptr, RetryOn::kThrottledOnly);
  if (!pending.ok() && (pending.error().code == ErrorCode::kUnimplemented ||
                        pending.error().code == ErrorCode::kNotFound)) {
    // No pending stage in this back end, or no secret yet (whose first version AWS makes current
    // anyway): a plain put as current, which creates it.
    return Put(name, value, Stage::kCurrent);
  }
  LOCKSMITH_RETURN_IF_ERROR(pending);
  LOCKSMITH_RETURN_IF_ERROR(PromoteToCurrent(name, pending->version_id));
  VersionInfo info = std::move(pending).value();
  info.stages = {Stage::kCurrent};
  // A back end may give the promoted value a new id (Vault: pending "pending-3" is written as
  // version 7 of the secret): report the version Describe calls current. The rotation is done
  // either way, so a failed Describe keeps the pending version's id.
  auto described = CallGuarded("describe", [&] { return provider_->Describe(name); });
  if (described.ok()) {
    for (const VersionInfo& version : described->versions) {
      if (version.HasStage(Stage::kCurrent)) {
        info.version_id = version.version_id;
        info.created = version.created;
        break;
      }
    }
  }
  return info;
}

Result<void> SecretsManagerImpl::PromoteToCurrent(std::string_view name,
                                                  std::string_view version_id) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  auto promoted = CallGuarded(
      "promote", [&] { return provider_->PromoteToCurrent(name, version_id); }, nullptr,
      RetryOn::kThrottledOnly);
  if (promoted.ok()) {
    AfterWrite(name);
  }
  return promoted;
}

Result<std::vector<std::string>> SecretsManagerImpl::List(std::string_view prefix) {
  return CallGuarded("list", [&] { return provider_->List(prefix); });
}

Result<SecretDescription> SecretsManagerImpl::Describe(std::string_view name) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  return CallGuarded("describe", [&] { return provider_->Describe(name); });
}

Result<StatusDetailList> SecretsManagerImpl::BackendDetails() {
  return CallGuarded("status", [&] { return provider_->StatusDetails(); });
}

Result<PrivilegeProbeList> SecretsManagerImpl::ProbeLeastPrivilege() {
  return CallGuarded("privileges", [&] { return provider_->ProbeLeastPrivilege(); });
}

void SecretsManagerImpl::AfterWrite(std::string_view name) {
  // Unsubscribed entries are read again when next asked for.
  cache_.ExpireName(name, clock_.Now());
  for (const std::string& ref : subscribers_->Refs()) {
    auto spec = SpecForRef(ref, VersionSelector::Current(), false);
    if (spec.ok() && spec->name == name) {
      // Read again now: Load notifies the subscribers when the version changed.
      FetchOutcome outcome = Load(ref, *spec, Join::kFresh);
      if (!outcome.result.ok()) {
        Logger()->warn("after writing '{}': reading it again failed ({}); will retry", name,
                       outcome.result.error().ToString());
      }
    }
  }
}

void SecretsManagerImpl::RefreshKey(const std::string& key) {
  auto spec = cache_.SpecFor(key);
  if (!spec) {
    return;
  }
  FetchOutcome outcome = Load(key, *spec, Join::kJoin);
  if (outcome.result.ok()) {
    return;
  }
  cache_.ReleaseClaim(key);
  if (metrics_ != nullptr) {
    metrics_->RecordRefreshFailure(spec->name);
  }
  if (outcome.breaker_rejected) {
    // The breaker-open warning already said it; do not repeat it every period.
    Logger()->debug("refresh of '{}' skipped: circuit breaker open", spec->name);
  } else {
    Logger()->warn("refresh of '{}' failed, keeping the cached value: {}", spec->name,
                   outcome.result.error().ToString());
  }
}

std::chrono::nanoseconds SecretsManagerImpl::JitteredTtl() {
  constexpr std::uint64_t kSteps = 1'000'000;
  const double u = static_cast<double>(random_.Uniform(kSteps + 1)) / kSteps;
  const double factor = 1.0 - options_.cache.ttl_jitter * u;
  const auto ttl = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.cache.ttl);
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(static_cast<double>(ttl.count()) * factor));
}

void SecretsManagerImpl::PublishBreakerState() {
  if (metrics_ != nullptr) {
    metrics_->SetBreakerState(backend_, static_cast<int>(breaker_.state()));
  }
}

void SecretsManagerImpl::WarnStaleServed(const EntrySpec& spec,
                                         std::chrono::steady_clock::time_point fetched_at) {
  const auto now = clock_.Now();
  const BreakerState state = breaker_.state();
  {
    std::lock_guard lock(warn_mu_);
    if (state == BreakerState::kClosed) {
      if (last_stale_warning_ != steady_clock::time_point{} &&
          now - last_stale_warning_ < kStaleWarningInterval) {
        return;
      }
    } else {
      const std::uint64_t opening = breaker_.openings();
      if (opening == stale_warned_opening_) {
        return;
      }
      stale_warned_opening_ = opening;
    }
    last_stale_warning_ = now;
  }
  const std::chrono::duration<double> age = now - fetched_at;
  Logger()->warn(
      "serving a cached value of '{}' fetched {:.0f} s ago: back end '{}' is "
      "unavailable (circuit breaker {})",
      spec.name, age.count(), backend_, BreakerStateName(state));
}

void SecretsManagerImpl::ScheduleRefresh(std::string_view key) {
  worker_.Enqueue(std::string(key));
}

}  // namespace internal

Result<SecretsManagerPtr> SecretsManager::Create(ProviderPtr provider, Dependencies dependencies) {
  if (provider == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "a provider is required");
  }
  LOCKSMITH_RETURN_IF_ERROR(internal::ValidateOptions(dependencies.options));
  Clock& clock = dependencies.clock != nullptr ? *dependencies.clock : SystemClock();
  Random& random = dependencies.random != nullptr ? *dependencies.random : SystemRandom();
  std::unique_ptr<Metrics> owned;
  if (dependencies.metrics == nullptr) {
    owned = Metrics::Create();
  }
  return SecretsManagerPtr(std::make_unique<internal::SecretsManagerImpl>(
      dependencies.options, std::move(provider), clock, random, dependencies.metrics,
      std::move(owned)));
}

}  // namespace locksmith
