#include "agent/refresh_limiter.h"

namespace locksmith::internal {

bool RefreshLimiter::TryAcquire(std::string_view key) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = last_.find(std::string(key));
  if (it != last_.end()) {
    if (now - it->second < interval_) {
      return false;
    }
    it->second = now;
    return true;
  }
  if (last_.size() >= kPruneAbove) {
    std::erase_if(last_, [&](const auto& entry) { return now - entry.second >= interval_; });
  }
  last_.emplace(std::string(key), now);
  return true;
}

}  // namespace locksmith::internal
