#include <gtest/gtest.h>

#include <cstring>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, MovesOnlyWhenTold) {
  testing::FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(5s);
  EXPECT_EQ(clock.Now() - t0, 5s);
  EXPECT_EQ(clock.WallNow() - w0, 5s);
  clock.SleepFor(250ms);
  EXPECT_EQ(clock.Now() - t0, 5250ms);
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], 250ms);
}

TEST(FakeRandomTest, DeterministicBytesAndUniform) {
  testing::FakeRandom random;
  std::uint8_t buf[3];
  ASSERT_THAT(random.Fill(buf), testing::IsOk());
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[2], 3);
  EXPECT_EQ(random.Uniform(100), 50u);
  random.SetUniformFraction(1.0);
  EXPECT_EQ(random.Uniform(100), 99u);
  random.SetUniformFraction(0.0);
  EXPECT_EQ(random.Uniform(100), 0u);
  random.FailFill(true);
  EXPECT_THAT(random.Fill(buf), testing::HasError(ErrorCode::kInternal));
}

TEST(SystemRandomTest, UniformStaysInBounds) {
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(SystemRandom().Uniform(7), 7u);
  }
  std::uint8_t a[16] = {};
  std::uint8_t b[16] = {};
  ASSERT_THAT(SystemRandom().Fill(a), testing::IsOk());
  ASSERT_THAT(SystemRandom().Fill(b), testing::IsOk());
  EXPECT_NE(std::memcmp(a, b, 16), 0);
}

}  // namespace
}  // namespace locksmith
