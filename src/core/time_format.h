// The one RFC 3339 timestamp parser ("2018-03-22T02:24:06.945319214Z",
// "2026-01-01T02:00:00+01:00"), for the dates Vault (created_time, expire_time) and AWS credential
// sources (Expiration) send, and the one formatter of times shown to people.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace locksmith::internal {

// An RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, an optional fraction of one or more digits (kept to
// the clock's precision, digits past nanoseconds ignored), then "Z" or an offset +hh:mm / -hh:mm.
// "T" and "Z" may be lower case. nullopt for anything else: missing zone, wrong widths, an
// impossible date or time, trailing text, or a date the clock cannot hold (before 1677 or after
// 2262: system_clock counts nanoseconds in 64 bits).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// "2026-01-01T00:00:00Z": UTC, whole seconds.
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time);

}  // namespace locksmith::internal
