#include "locksmith/row_rate_limiter.h"

#include <algorithm>

namespace locksmith {
namespace {

constexpr std::chrono::seconds kMaxCatchUp{1};

}  // namespace

RowRateLimiter::RowRateLimiter(std::uint64_t rows_per_second, Clock& clock)
    : per_row_(std::chrono::nanoseconds(std::chrono::seconds(1)) /
               static_cast<std::int64_t>(std::max<std::uint64_t>(rows_per_second, 1))),
      clock_(clock),
      next_(clock.Now()) {}

void RowRateLimiter::Admit(std::uint64_t rows) {
  const auto now = clock_.Now();
  next_ = std::max(next_, now - kMaxCatchUp) + per_row_ * static_cast<std::int64_t>(rows);
  if (next_ > now) {
    clock_.SleepFor(next_ - now);
  }
}

}  // namespace locksmith
