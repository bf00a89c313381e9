#include "core/time_format.h"

#include <gtest/gtest.h>

namespace locksmith::internal {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

sys_seconds At(int y, unsigned m, unsigned d, hours h, minutes mi, seconds s) {
  return sys_days(year(y) / m / d) + h + mi + s;
}

TEST(ParseRfc3339Test, WholeSecondsInUtc) {
  auto t = ParseRfc3339("2026-01-01T01:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(system_clock::to_time_t(*t), 1767229200);
  EXPECT_EQ(ParseRfc3339("2026-01-01t01:00:00z"), t);  // lower-case T and Z are allowed
}

TEST(ParseRfc3339Test, FractionalSecondsAreKept) {
  auto t = ParseRfc3339("2018-03-22T02:24:06.945319214Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(time_point_cast<microseconds>(*t), At(2018, 3, 22, 2h, 24min, 6s) + 945319us);
  EXPECT_EQ(ParseRfc3339("2026-01-01T01:00:00.5Z"), At(2026, 1, 1, 1h, 0min, 0s) + 500ms);
  // Digits past nanoseconds are read and ignored.
  EXPECT_EQ(ParseRfc3339("2026-01-01T01:00:00.1234567899Z"),
            time_point_cast<system_clock::duration>(At(2026, 1, 1, 1h, 0min, 0s) + 123456789ns));
}

TEST(ParseRfc3339Test, OffsetsAreAppliedBothWays) {
  EXPECT_EQ(ParseRfc3339("2018-03-22T04:24:06+02:00"), At(2018, 3, 22, 2h, 24min, 6s));
  EXPECT_EQ(ParseRfc3339("2018-03-21T21:54:06-04:30"), At(2018, 3, 22, 2h, 24min, 6s));
  EXPECT_EQ(ParseRfc3339("2026-01-01T00:30:00.250+01:00"),
            At(2025, 12, 31, 23h, 30min, 0s) + 250ms);
  EXPECT_EQ(ParseRfc3339("2026-01-01T01:00:00+00:00"), ParseRfc3339("2026-01-01T01:00:00Z"));
}

TEST(ParseRfc3339Test, LeapDayAndLeapSecond) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z").has_value());
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z"), At(2017, 1, 1, 0h, 0min, 0s));
}

TEST(ParseRfc3339Test, MalformedInputIsRejected) {
  for (const char* text : {
           "",
           "yesterday",
           "2018-03-22T02:24:06",        // no zone
           "2018-03-22 02:24:06Z",       // space for T
           "2018-13-01T00:00:00Z",       // month 13
           "2018-03-40T00:00:00Z",       // day 40
           "2018-03-22T24:00:00Z",       // hour 24
           "2018-03-22T02:60:00Z",       // minute 60
           "2018-03-22T02:24:61Z",       // second 61
           "18-03-22T02:24:06Z",         // short year
           "2018-3-22T02:24:06Z",        // short month
           " 2018-03-22T02:24:06Z",      // leading space
           "2018-03-22T02:24:06Z ",      // trailing text
           "2018-03-22T02:24:06.Z",      // fraction without digits
           "2018-03-22T02:24:06+0200",   // offset without colon
           "2018-03-22T02:24:06+02",     // short offset
           "2018-03-22T02:24:06+24:00",  // offset out of range
           "2018-03-22T02:24:06+02:60",
           "+018-03-22T02:24:06Z",
       }) {
    EXPECT_FALSE(ParseRfc3339(text).has_value()) << text;
  }
}

// Found by fuzz/vault_response (a KV metadata created_time in year 4052): a valid RFC 3339 date
// past the nanosecond clock's range overflowed the conversion (undefined behaviour) instead of
// being refused.
TEST(ParseRfc3339Test, RefusesDatesTheClockCannotHold) {
  for (const char* text : {
           "4052-01-01T00:00:00Z",
           "9999-12-31T23:59:59.999999999Z",
           "2262-04-12T00:00:00Z",
           "0001-01-01T00:00:00Z",
           "1677-09-21T00:00:00Z",
       }) {
    EXPECT_FALSE(ParseRfc3339(text).has_value()) << text;
  }
  // The edges inside the range still parse, with their fraction.
  auto late = ParseRfc3339("2262-04-10T23:59:59.5Z");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(late->time_since_epoch()).count(),
            9'223'286'399'500);
  EXPECT_TRUE(ParseRfc3339("1677-09-22T00:00:00Z").has_value());
}

}  // namespace
}  // namespace locksmith::internal
