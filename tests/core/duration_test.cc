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

}  // namespace
}  // namespace locksmith
