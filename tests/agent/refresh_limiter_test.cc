#include "agent/refresh_limiter.h"

#include <gtest/gtest.h>

#include <string>

#include "locksmith/testing/fake_clock.h"

namespace locksmith::internal {
namespace {

TEST(RefreshLimiterTest, OncePerKeyPerInterval) {
  testing::FakeClock clock;
  RefreshLimiter limiter(clock, std::chrono::seconds(1));
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
  EXPECT_TRUE(limiter.TryAcquire("b"));
  clock.Advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(limiter.TryAcquire("a"));
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
}

TEST(RefreshLimiterTest, ForgetsOldKeysButStillLimitsRecentOnes) {
  testing::FakeClock clock;
  RefreshLimiter limiter(clock, std::chrono::seconds(1));
  for (int i = 0; i < 3000; ++i) {
    if (i > 0 && i % 1000 == 0) {
      clock.Advance(std::chrono::seconds(2));
    }
    EXPECT_TRUE(limiter.TryAcquire("k" + std::to_string(i)));
  }
  EXPECT_FALSE(limiter.TryAcquire("k2999"));
  EXPECT_TRUE(limiter.TryAcquire("k0"));
}

}  // namespace
}  // namespace locksmith::internal
