// Durations as operators write them: "300s", "5m", "1h30m", "250ms", "2d"; a bare number is
// seconds (as Vault and the AWS CLI read TTLs).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest form ParseDuration reads back: "5m", "1h30m", "250ms", "0s".
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace locksmith
