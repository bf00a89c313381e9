#include "locksmith/duration.h"

#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using std::chrono::milliseconds;
using testing::HasError;

TEST(DurationTest, ParsesOperatorForms) {
  EXPECT_EQ(*ParseDuration("300s"), milliseconds(300'000));
  EXPECT_EQ(*ParseDuration("5m"), milliseconds(300'000));
  EXPECT_EQ(*ParseDuration("300"), milliseconds(300'000));
  EXPECT_EQ(*ParseDuration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("2d"), milliseconds(172'800'000));
  EXPECT_EQ(*ParseDuration("0s"), milliseconds(0));
}

TEST(DurationTest, RejectsGarbage) {
  for (const char* s : {"", "m", "5x", "-5s", "5m30", "1.5h", " 5m", "99999999999s"}) {
    EXPECT_THAT(ParseDuration(s), HasError(ErrorCode::kInvalidArgument)) << s;
  }
}

TEST(DurationTest, FormatsRoundTrip) {
  for (const char* s : {"5m", "1h30m", "250ms", "2d", "0s", "1h1m1s1ms"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(s)), s);
  }
}

// Found by fuzz/duration_fuzzer.cc: parts that each fit summed past what FormatDuration's output
// parses back ("0d1114650518d0d1114650518d"), and enough of them overflowed the sum.
TEST(DurationTest, RefusesMoreThanACentury) {
  EXPECT_EQ(*ParseDuration("36500d"), milliseconds(36'500LL * 86'400'000));
  EXPECT_THAT(ParseDuration("36500d1ms"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseDuration("0d1114650518d0d1114650518d"), HasError(ErrorCode::kInvalidArgument));
  std::string many;
  for (int i = 0; i < 200; ++i) {
    many += "2147483647d";
  }
  EXPECT_THAT(ParseDuration(many), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith
