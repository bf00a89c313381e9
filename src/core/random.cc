#include "locksmith/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <limits>
#include <random>

#include "locksmith/testing/fake_random.h"

namespace locksmith {
namespace {

class OsRandom final : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override {
    if (out.empty()) {
      return OkResult();
    }
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      return MakeError(ErrorCode::kInternal, "the system random generator failed");
    }
    return OkResult();
  }

  std::uint64_t Uniform(std::uint64_t bound) override {
    if (bound <= 1) {
      return 0;
    }
    // A per-thread generator: jitter needs no cryptographic strength, and this keeps the
    // call free of locks.
    thread_local std::mt19937_64 engine(std::random_device{}());
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine);
  }
};

}  // namespace

Random& SystemRandom() {
  static OsRandom random;
  return random;
}

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
