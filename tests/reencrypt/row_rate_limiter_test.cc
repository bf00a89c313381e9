// RowRateLimiter with a fake clock: sleeps keep the rate, work time counts toward the budget, and
// a stall buys at most one second of catch-up.
#include "locksmith/row_rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/fake_clock.h"

namespace locksmith {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(RowRateLimiterTest, SleepsSoRowsPerSecondStayAtTheLimit) {
  testing::FakeClock clock;
  const auto start = clock.Now();
  RowRateLimiter limiter(1000, clock);
  for (int batch = 0; batch < 10; ++batch) {
    limiter.Admit(500);  // instantaneous work: each batch of 500 costs half a second
  }
  EXPECT_EQ(clock.Now() - start, seconds(5));
  ASSERT_EQ(clock.Sleeps().size(), 10u);
  EXPECT_EQ(clock.Sleeps()[0], milliseconds(500));
}

TEST(RowRateLimiterTest, TimeSpentWorkingCountsTowardTheBudget) {
  testing::FakeClock clock;
  RowRateLimiter limiter(1000, clock);
  clock.Advance(milliseconds(300));  // the batch itself took 300 ms
  limiter.Admit(500);
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], milliseconds(200));
  clock.Advance(milliseconds(600));  // slower than the limit: no sleep
  limiter.Admit(500);
  EXPECT_EQ(clock.Sleeps().size(), 1u);
}

TEST(RowRateLimiterTest, AStallBuysAtMostOneSecondOfCatchUp) {
  testing::FakeClock clock;
  RowRateLimiter limiter(100, clock);
  clock.Advance(seconds(60));  // e.g. the database was away for a minute
  limiter.Admit(100);          // one second's worth: covered by the catch-up
  EXPECT_TRUE(clock.Sleeps().empty());
  limiter.Admit(100);  // the next second's worth must be waited for
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], seconds(1));
}

}  // namespace
}  // namespace locksmith
