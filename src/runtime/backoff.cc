#include "runtime/backoff.h"

#include <algorithm>
#include <cstdint>

namespace locksmith::internal {

std::chrono::milliseconds BackoffDelay(const RetryOptions& options, int attempt, Random& random) {
  const std::int64_t max_ms = std::max<std::int64_t>(0, options.max_delay.count());
  std::int64_t cap = std::max<std::int64_t>(0, options.base_delay.count());
  // Doubling saturates at max_delay; stop early so the shift cannot overflow.
  for (int i = 1; i < attempt && cap < max_ms; ++i) {
    cap *= 2;
  }
  cap = std::min(cap, max_ms);
  if (cap <= 0) {
    return std::chrono::milliseconds(0);
  }
  // Inclusive upper bound: [0, cap].
  const auto drawn = random.Uniform(static_cast<std::uint64_t>(cap) + 1);
  return std::chrono::milliseconds(static_cast<std::int64_t>(drawn));
}

}  // namespace locksmith::internal
