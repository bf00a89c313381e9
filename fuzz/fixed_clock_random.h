#pragma once

// A fixed clock and a deterministic Random for fuzz targets: libFuzzer needs the same input to
// take the same path every time, so nothing here reads the real time or the system's DRBG.
#include <chrono>
#include <cstdint>
#include <span>

#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "locksmith/result.h"

namespace locksmith::fuzz {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point wall) : wall_(wall) {}
  std::chrono::steady_clock::time_point Now() const override { return {}; }
  std::chrono::system_clock::time_point WallNow() const override { return wall_; }
  void SleepFor(std::chrono::nanoseconds) override {}

 private:
  std::chrono::system_clock::time_point wall_;
};

// A counter run through a fixed mixing function: distinct nonces, the same sequence every run.
class CountingRandom final : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override {
    for (std::uint8_t& b : out) {
      b = static_cast<std::uint8_t>(Next() >> 56);
    }
    return OkResult();
  }
  std::uint64_t Uniform(std::uint64_t bound) override { return Next() % bound; }

 private:
  std::uint64_t Next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_ = 0;
};

}  // namespace locksmith::fuzz
