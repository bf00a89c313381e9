#include "runtime/access_counts.h"

#include <algorithm>

namespace locksmith::internal {

AccessCounts::Counts& AccessCounts::SeriesLocked(std::map<std::string, Counts, std::less<>>& series,
                                                 std::string_view secret) {
  if (auto it = series.find(secret); it != series.end()) {
    return it->second;
  }
  if (series.size() >= kMaxAccessSeries) {
    secret = kOtherSecretLabel;
  }
  return series.try_emplace(std::string(secret)).first->second;
}

void AccessCounts::Record(std::string_view secret, bool success) {
  std::lock_guard lock(mu_);
  Counts& counts = SeriesLocked(recorded_, secret);
  ++(success ? counts.success : counts.failure);
}

void AccessCounts::Attach(const AccessCountSource* source) {
  std::lock_guard lock(mu_);
  sources_.push_back(source);
}

void AccessCounts::Detach(const AccessCountSource* source) {
  std::lock_guard lock(mu_);
  auto it = std::find(sources_.begin(), sources_.end(), source);
  if (it == sources_.end()) {
    return;
  }
  sources_.erase(it);
  // Its counts stay in the totals: a counter never goes down because a manager went away.
  source->ForEachAccessCount([this](std::string_view secret, std::uint64_t successes) {
    SeriesLocked(recorded_, secret).success += successes;
  });
}

prometheus::MetricFamily AccessCounts::Collect() const {
  std::map<std::string, Counts, std::less<>> series;
  {
    // Sources are asked under the lock, so one being detached (its manager destroyed) waits.
    std::lock_guard lock(mu_);
    series = recorded_;
    for (const AccessCountSource* source : sources_) {
      source->ForEachAccessCount([&series](std::string_view secret, std::uint64_t successes) {
        SeriesLocked(series, secret).success += successes;
      });
    }
  }
  prometheus::MetricFamily family{"secrets_manager_access_total",
                                  "Secret accesses (Get/GetVersion, served from the cache or the "
                                  "back end), by logical name and result.",
                                  prometheus::MetricType::Counter,
                                  {}};
  for (const auto& [secret, counts] : series) {
    for (const bool success : {true, false}) {
      prometheus::ClientMetric metric;
      metric.label = {{"secret", secret}, {"result", success ? "success" : "failure"}};
      metric.counter.value = static_cast<double>(success ? counts.success : counts.failure);
      family.metric.push_back(std::move(metric));
    }
  }
  return family;
}

}  // namespace locksmith::internal
