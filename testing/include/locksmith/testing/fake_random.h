// FakeRandom: deterministic randomness for tests.
#pragma once

#include <cstdint>
#include <mutex>

#include "locksmith/random.h"

namespace locksmith::testing {

// Thread-safe. Fill writes a counter sequence (0x01, 0x02, ...) continuing across calls.
// Uniform(bound) returns floor(fraction * bound), clamped to bound - 1; fraction defaults to 0.5.
class FakeRandom : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override;
  std::uint64_t Uniform(std::uint64_t bound) override;

  void SetUniformFraction(double fraction);
  void FailFill(bool fail);  // make Fill return kInternal, to test error paths

 private:
  std::mutex mu_;
  std::uint8_t next_ = 1;
  double fraction_ = 0.5;
  bool fail_fill_ = false;
};

}  // namespace locksmith::testing
