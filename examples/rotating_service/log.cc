#include "log.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace rotating_service {

void Log(std::string_view line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fprintf(stderr, "rotating_service: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace rotating_service
