#include "core/time_format.h"

#include <cstdint>
#include <ctime>

namespace locksmith::internal {
namespace {

// Reads exactly `width` decimal digits from the front of `text`.
std::optional<int> Digits(std::string_view& text, std::size_t width) {
  if (text.size() < width) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(width);
  return value;
}

bool Consume(std::string_view& text, char a, char b = '\0') {
  if (text.empty() || (text.front() != a && (b == '\0' || text.front() != b))) {
    return false;
  }
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  using namespace std::chrono;
  auto year = Digits(text, 4);
  if (!year || !Consume(text, '-')) {
    return std::nullopt;
  }
  auto month = Digits(text, 2);
  if (!month || !Consume(text, '-')) {
    return std::nullopt;
  }
  auto day = Digits(text, 2);
  if (!day || !Consume(text, 'T', 't')) {
    return std::nullopt;
  }
  auto hour = Digits(text, 2);
  if (!hour || !Consume(text, ':')) {
    return std::nullopt;
  }
  auto minute = Digits(text, 2);
  if (!minute || !Consume(text, ':')) {
    return std::nullopt;
  }
  auto second = Digits(text, 2);
  if (!second) {
    return std::nullopt;
  }
  nanoseconds fraction{0};
  if (Consume(text, '.')) {
    std::int64_t nanos = 0;
    int digits = 0;
    for (; !text.empty() && text.front() >= '0' && text.front() <= '9'; text.remove_prefix(1)) {
      if (digits < 9) {
        nanos = nanos * 10 + (text.front() - '0');
      }
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    for (int i = digits; i < 9; ++i) {
      nanos *= 10;
    }
    fraction = nanoseconds(nanos);
  }
  minutes offset{0};
  if (Consume(text, 'Z', 'z')) {
  } else if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    const bool behind = text.front() == '-';
    text.remove_prefix(1);
    auto offset_hours = Digits(text, 2);
    if (!offset_hours || !Consume(text, ':')) {
      return std::nullopt;
    }
    auto offset_minutes = Digits(text, 2);
    if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = minutes(*offset_hours * 60 + *offset_minutes) * (behind ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (!text.empty()) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  // Second 60 is a leap second (RFC 3339 allows it); it counts as the next minute's first.
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const sys_seconds whole =
      sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) - offset;
  // system_clock counts nanoseconds in 64 bits, the years 1677 to 2262: a valid RFC 3339 date
  // outside them (year 9999) is refused, not overflowed.
  constexpr seconds kLimit = duration_cast<seconds>(system_clock::duration::max()) - seconds(1);
  if (whole.time_since_epoch() > kLimit || whole.time_since_epoch() < -kLimit) {
    return std::nullopt;
  }
  return time_point_cast<system_clock::duration>(whole) +
         duration_cast<system_clock::duration>(fraction);
}

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace locksmith::internal
