// The Prometheus implementation of Metrics (prometheus-cpp core). Cache hit/miss counters are
// sharded per thread and summed when scraped; everything else lives in the registry.
#include "locksmith/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <exception>

#include "locksmith/log.h"
#include "runtime/access_counts.h"
#include "runtime/sharded_lock.h"

namespace locksmith {
namespace {

// Counters written on the hot path: each thread adds to its own cache line.
class ShardedCounters final : public prometheus::Collectable {
 public:
  void AddHit() { Slot().hits.fetch_add(1, std::memory_order_relaxed); }
  void AddMiss() { Slot().misses.fetch_add(1, std::memory_order_relaxed); }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    for (const auto& shard : shards_) {
      hits += shard.hits.load(std::memory_order_relaxed);
      misses += shard.misses.load(std::memory_order_relaxed);
    }
    return {
        Family("secrets_manager_cache_hits_total", "Cache hits (Get served from the cache).", hits),
        Family("secrets_manager_cache_misses_total",
               "Cache misses (Get that had to ask the back end).", misses)};
  }

 private:
  struct alignas(128) Shard {
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
  };

  Shard& Slot() { return shards_[internal::ThisThreadSlot()]; }

  static prometheus::MetricFamily Family(std::string name, std::string help, std::uint64_t value) {
    prometheus::ClientMetric metric;
    metric.counter.value = static_cast<double>(value);
    return prometheus::MetricFamily{
        std::move(name), std::move(help), prometheus::MetricType::Counter, {metric}};
  }

  std::array<Shard, internal::kReaderSlots> shards_;
};

// Logs and swallows anything prometheus-cpp throws: metrics must never fail a caller.
template <typename Fn>
void Guarded(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    Logger()->error("metrics: {} failed: {}", what, e.what());
  } catch (...) {
    Logger()->error("metrics: {} failed", what);
  }
}

class PrometheusMetrics final : public Metrics {
 public:
  PrometheusMetrics()
      : registry_(std::make_shared<prometheus::Registry>()),
        backend_requests_(prometheus::BuildCounter()
                              .Name("secrets_manager_backend_requests_total")
                              .Help("Calls to the secrets back end.")
                              .Register(*registry_)),
        backend_latency_(prometheus::BuildHistogram()
                             .Name("secrets_manager_backend_latency_seconds")
                             .Help("Latency of calls to the secrets back end.")
                             .Register(*registry_)),
        breaker_state_(prometheus::BuildGauge()
                           .Name("secrets_manager_circuit_breaker_state")
                           .Help("Circuit breaker state: 0 closed, 1 open, 2 half-open.")
                           .Register(*registry_)),
        secret_age_(prometheus::BuildGauge()
                        .Name("secrets_manager_secret_age_days")
                        .Help("Age of the current version of a secret, in days.")
                        .Register(*registry_)),
        refresh_failures_(prometheus::BuildCounter()
                              .Name("secrets_manager_refresh_failures_total")
                              .Help("Failed refreshes of a cached secret.")
                              .Register(*registry_)),
        stale_served_(prometheus::BuildCounter()
                          .Name("secrets_manager_stale_served_total")
                          .Help("Values served past their TTL because the back end failed.")
                          .Register(*registry_)),
        decryption_failures_(prometheus::BuildCounter()
                                 .Name("secrets_manager_decryption_failures_total")
                                 .Help("Failed decryptions, by key.")
                                 .Register(*registry_)),
        reencrypted_rows_(prometheus::BuildCounter()
                              .Name("secrets_manager_reencrypted_rows_total")
                              .Help("Rows moved onto the primary key by a re-encryption job.")
                              .Register(*registry_)),
        reencryption_failures_(
            prometheus::BuildCounter()
                .Name("secrets_manager_reencryption_failures_total")
                .Help("Rows a re-encryption run left as they are, by reason (undecryptable, "
                      "plaintext, null).")
                .Register(*registry_)),
        reencryption_remaining_(prometheus::BuildGauge()
                                    .Name("secrets_manager_reencryption_rows_remaining")
                                    .Help("Rows of a column still under an old key id.")
                                    .Register(*registry_)) {}

  std::string RenderText() const override {
    std::string text;
    Guarded("render", [&] {
      auto families = registry_->Collect();
      for (auto& family : hot_.Collect()) {
        families.push_back(std::move(family));
      }
      families.push_back(access_.Collect());
      text = prometheus::TextSerializer().Serialize(families);
    });
    return text;
  }

  void RecordBackendCall(std::string_view backend, std::string_view operation, bool success,
                         double latency_seconds) override {
    Guarded("backend call", [&] {
      const std::string b(backend);
      const std::string op(operation);
      backend_requests_
          .Add({{"backend", b}, {"operation", op}, {"result", success ? "success" : "failure"}})
          .Increment();
      backend_latency_.Add({{"backend", b}, {"operation", op}}, LatencyBuckets())
          .Observe(latency_seconds);
    });
  }

  internal::AccessCounts& access() { return access_; }

  void RecordAccess(std::string_view secret, bool success) override {
    Guarded("access", [&] { access_.Record(secret, success); });
  }
  void RecordCacheHit() override { hot_.AddHit(); }
  void RecordCacheMiss() override { hot_.AddMiss(); }

  void RecordRefreshFailure(std::string_view secret) override {
    Guarded("refresh failure", [&] {
      refresh_failures_.Add({{"secret", std::string(secret)}}).Increment();
    });
  }
  void RecordStaleServed(std::string_view secret) override {
    Guarded("stale served", [&] {
      stale_served_.Add({{"secret", std::string(secret)}}).Increment();
    });
  }
  void SetBreakerState(std::string_view backend, int state) override {
    Guarded("breaker state", [&] {
      breaker_state_.Add({{"backend", std::string(backend)}}).Set(state);
    });
  }
  void SetSecretAgeDays(std::string_view secret, double days) override {
    Guarded("secret age", [&] { secret_age_.Add({{"secret", std::string(secret)}}).Set(days); });
  }
  void RecordDecryptionFailure(std::string_view key) override {
    Guarded("decryption failure", [&] {
      decryption_failures_.Add({{"key", std::string(key)}}).Increment();
    });
  }

  void RecordReencryptedRows(std::string_view table, std::string_view column,
                             std::uint64_t rows) override {
    Guarded("reencrypted rows", [&] {
      reencrypted_rows_.Add({{"table", std::string(table)}, {"column", std::string(column)}})
          .Increment(static_cast<double>(rows));
    });
  }
  void RecordReencryptionFailures(std::string_view table, std::string_view column,
                                  std::string_view reason, std::uint64_t rows) override {
    Guarded("reencryption failures", [&] {
      reencryption_failures_
          .Add({{"table", std::string(table)},
                {"column", std::string(column)},
                {"reason", std::string(reason)}})
          .Increment(static_cast<double>(rows));
    });
  }
  void SetReencryptionRowsRemaining(std::string_view table, std::string_view column,
                                    std::string_view key_id, double rows) override {
    Guarded("reencryption rows remaining", [&] {
      reencryption_remaining_
          .Add({{"table", std::string(table)},
                {"column", std::string(column)},
                {"key_id", std::string(key_id)}})
          .Set(rows);
    });
  }

 private:
  // Up to 10 s, dense around the usual p95 alert thresholds (100 ms - 1 s).
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
    static const prometheus::Histogram::BucketBoundaries buckets{
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
    return buckets;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& backend_requests_;
  prometheus::Family<prometheus::Histogram>& backend_latency_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Family<prometheus::Gauge>& secret_age_;
  prometheus::Family<prometheus::Counter>& refresh_failures_;
  prometheus::Family<prometheus::Counter>& stale_served_;
  prometheus::Family<prometheus::Counter>& decryption_failures_;
  prometheus::Family<prometheus::Counter>& reencrypted_rows_;
  prometheus::Family<prometheus::Counter>& reencryption_failures_;
  prometheus::Family<prometheus::Gauge>& reencryption_remaining_;
  ShardedCounters hot_;
  internal::AccessCounts access_;
};

}  // namespace

namespace internal {

bool AttachAccessSource(Metrics& metrics, const AccessCountSource* source) {
  auto* prometheus_metrics = dynamic_cast<PrometheusMetrics*>(&metrics);
  if (prometheus_metrics == nullptr) {
    return false;
  }
  prometheus_metrics->access().Attach(source);
  return true;
}

void DetachAccessSource(Metrics& metrics, const AccessCountSource* source) {
  if (auto* prometheus_metrics = dynamic_cast<PrometheusMetrics*>(&metrics)) {
    prometheus_metrics->access().Detach(source);
  }
}

}  // namespace internal

std::unique_ptr<Metrics> Metrics::Create() { return std::make_unique<PrometheusMetrics>(); }

}  // namespace locksmith
