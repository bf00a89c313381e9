#include "locksmith/testing/fake_random.h"

#include <algorithm>

namespace locksmith {

namespace testing {

Result<void> FakeRandom::Fill(std::span<std::uint8_t> out) {
  std::lock_guard lock(mu_);
  if (fail_fill_) {
    return MakeError(ErrorCode::kInternal, "fake random failure");
  }
  for (auto& b : out) {
    b = next_++;
  }
  return OkResult();
}

std::uint64_t FakeRandom::Uniform(std::uint64_t bound) {
  std::lock_guard lock(mu_);
  if (bound <= 1) {
    return 0;
  }
  auto v = static_cast<std::uint64_t>(fraction_ * static_cast<double>(bound));
  return std::min(v, bound - 1);
}

void FakeRandom::SetUniformFraction(double fraction) {
  std::lock_guard lock(mu_);
  fraction_ = std::clamp(fraction, 0.0, 1.0);
}

void FakeRandom::FailFill(bool fail) {
  std::lock_guard lock(mu_);
  fail_fill_ = fail;
}

}  // namespace testing

}  // namespace locksmith
