// Hot-path benchmarks: a warm SecretsManager Get against the simplest alternative, one
// std::mutex around an unordered_map, both copying the value out. See docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "locksmith/clock.h"
#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {
namespace {

constexpr const char* kKey = "db-encryption-key";
constexpr const char* kValue = "0123456789abcdef0123456789abcdef";  // 32 bytes, like a key
// Over SecretValue's 48 inline bytes, so each copy takes a block from core/secure_memory.h:
// the size of a PEM RSA-2048 private key.
constexpr const char* kLargeKey = "tls-private-key";
const std::string& LargeValue() {
  static const std::string value(1704, 'P');
  return value;
}

// Answers every Get at once with the same value.
class TrivialProvider final : public Provider {
 public:
  std::string_view Kind() const override { return "bench"; }
  Result<Secret> Get(std::string_view name, const VersionSelector&) override {
    return Secret{std::string(name), VersionInfo{"v1", {Stage::kCurrent}, {}},
                  SecretValue(name == kLargeKey ? std::string_view(LargeValue()) : kValue)};
  }
  Result<SecretDescription> Describe(std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, "bench");
  }
  Result<std::vector<std::string>> List(std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, "bench");
  }
  Result<VersionInfo> Put(std::string_view, const SecretValue&, Stage) override {
    return MakeError(ErrorCode::kUnimplemented, "bench");
  }
  Result<void> PromoteToCurrent(std::string_view, std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, "bench");
  }
};

// Shared by the benchmark's threads; built once, warm.
struct ManagerFixture {
  ManagerFixture() {
    SecretsManagerOptions options;
    options.cache.ttl = std::chrono::hours(1);  // no refresh during the run
    options.background_refresh = false;
    metrics = Metrics::Create();
    manager = SecretsManager::Create(std::make_unique<TrivialProvider>(),
                                     {.options = options, .metrics = metrics.get()})
                  .value();
    (void)manager->Get(kKey).value();
    (void)manager->Get(kLargeKey).value();
  }
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<SecretsManager> manager;
};

ManagerFixture& Manager() {
  static ManagerFixture fixture;
  return fixture;
}

void BM_CacheHitGet(benchmark::State& state) {
  SecretsManager& manager = *Manager().manager;
  for (auto _ : state) {
    auto value = manager.Get(kKey);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHitGet)->Threads(1)->Threads(2)->UseRealTime();

// The same for a value held out of line (1,704 bytes): one secure-memory block per hit.
void BM_CacheHitGetLarge(benchmark::State& state) {
  SecretsManager& manager = *Manager().manager;
  for (auto _ : state) {
    auto value = manager.Get(kLargeKey);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHitGetLarge)->Threads(1)->Threads(2)->UseRealTime();

struct BaselineMap {
  std::mutex mu;
  std::unordered_map<std::string, std::string> map{{kKey, kValue}};
};

BaselineMap& Baseline() {
  static BaselineMap baseline;
  return baseline;
}

void BM_BaselineMutexMap(benchmark::State& state) {
  BaselineMap& baseline = Baseline();
  const std::string key = kKey;
  for (auto _ : state) {
    std::string value;
    {
      std::lock_guard lock(baseline.mu);
      value = baseline.map.find(key)->second;
    }
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineMutexMap)->Threads(1)->Threads(2)->UseRealTime();

// The part of a cache hit no cache design avoids: one read of the injected clock and one copy of
// the value into a new SecretValue (allocate, copy, wipe, free). Context for BM_CacheHitGet.
void BM_FloorClockAndClone(benchmark::State& state) {
  Clock& clock = SystemClock();
  const SecretValue value(kValue);
  for (auto _ : state) {
    auto now = clock.Now();
    benchmark::DoNotOptimize(now);
    SecretValue copy = value.Clone();
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FloorClockAndClone)->Threads(1)->Threads(2)->UseRealTime();

// Allocate, copy, wipe and free one out-of-line value: the allocator's share of
// BM_CacheHitGetLarge.
void BM_CloneLarge(benchmark::State& state) {
  const SecretValue value(LargeValue());
  for (auto _ : state) {
    SecretValue copy = value.Clone();
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CloneLarge)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace locksmith

BENCHMARK_MAIN();
