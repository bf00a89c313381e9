#include "locksmith/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace locksmith {
namespace {

// The longest duration accepted: a century. Anything longer is a typo, and the bound keeps the
// sum of the parts far from overflow and FormatDuration's output parseable.
constexpr std::int64_t kMaxDurationMs = 36'500LL * 86'400'000;

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(text.substr(0, 32)) +
                         "' is not a duration (examples: 300s, 5m, 1h30m, 250ms, 2d)");
  };
  if (text.empty()) {
    return bad();
  }
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) {
      return bad();
    }
    std::int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      number = number * 10 + (text[i] - '0');
      if (number > std::numeric_limits<std::int32_t>::max()) {
        return bad();
      }
      ++i;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
    }
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t factor = 0;
    if (unit.empty()) {
      // A bare number is seconds, but only on its own ("300", not "5m30").
      if (any || i != text.size()) {
        return bad();
      }
      factor = 1000;
    } else if (unit == "ms") {
      factor = 1;
    } else if (unit == "s") {
      factor = 1000;
    } else if (unit == "m") {
      factor = 60'000;
    } else if (unit == "h") {
      factor = 3'600'000;
    } else if (unit == "d") {
      factor = 86'400'000;
    } else {
      return bad();
    }
    total_ms += number * factor;  // each part < 2^31 * 86,400,000 < 2^58; the total < 2^60
    if (total_ms > kMaxDurationMs) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + std::string(text.substr(0, 32)) + "' is longer than 36500d");
    }
    any = true;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) {
    return "0s";
  }
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"},
                 Unit{1, "ms"}}) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace locksmith
