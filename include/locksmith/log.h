// Logging: the library logs through one spdlog logger named "locksmith" (created on first use,
// writing to stderr). Services may replace its sinks or level. Nothing the library logs contains
// a secret value; SecretValue formats as "***" if one is passed by mistake.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace locksmith {

// Never null. Thread-safe.
std::shared_ptr<spdlog::logger> Logger();

}  // namespace locksmith
