#include "locksmith/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace locksmith {

std::shared_ptr<spdlog::logger> Logger() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("locksmith")) {
      return existing;
    }
    auto created = spdlog::stderr_logger_mt("locksmith");
    created->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ locksmith: %v");
    return created;
  }();
  return logger;
}

}  // namespace locksmith
