// AccessCounts: secrets_manager_access_total{secret, result}. Failures and cache misses are
// recorded here directly (the slow path); cache hits are counted by each SecretsManager's cache
// per thread and per entry (a hit touches no shared cache line) and asked for at render time
// through AccessCountSource. Series are bounded: after kMaxAccessSeries distinct secret labels,
// further names count under secret="(other)", so a client asking for random names cannot grow
// the exposition without bound.
#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locksmith {
class Metrics;
}

namespace locksmith::internal {

inline constexpr std::size_t kMaxAccessSeries = 1000;
inline constexpr std::string_view kOtherSecretLabel = "(other)";

// Something that counts successful accesses itself (SecretsManagerImpl: its cache's hits).
class AccessCountSource {
 public:
  virtual ~AccessCountSource() = default;
  // Calls `add` with (logical name, successful accesses so far) for every name it counted.
  virtual void ForEachAccessCount(
      const std::function<void(std::string_view secret, std::uint64_t successes)>& add) const = 0;
};

// Thread-safe.
class AccessCounts {
 public:
  void Record(std::string_view secret, bool success);
  void Attach(const AccessCountSource* source);
  // Stops asking `source`, keeping what it counted so far in the totals.
  void Detach(const AccessCountSource* source);
  prometheus::MetricFamily Collect() const;

 private:
  struct Counts {
    std::uint64_t success = 0;
    std::uint64_t failure = 0;
  };
  // The series for `secret` (or "(other)" once the map is full). Call with mu_ held.
  static Counts& SeriesLocked(std::map<std::string, Counts, std::less<>>& series,
                              std::string_view secret);

  mutable std::mutex mu_;
  std::map<std::string, Counts, std::less<>> recorded_;  // guarded by mu_
  std::vector<const AccessCountSource*> sources_;        // guarded by mu_
};

// Attaches `source` to `metrics` if it was made by Metrics::Create() and returns true; false for
// any other implementation (the caller then records every access with Metrics::RecordAccess).
// `source` must be detached before it is destroyed.
bool AttachAccessSource(Metrics& metrics, const AccessCountSource* source);
void DetachAccessSource(Metrics& metrics, const AccessCountSource* source);

}  // namespace locksmith::internal
