// DisableCoreDumpsAndTracing: two system calls, checked.
#include "core/core_dumps.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace locksmith::internal {

Result<void> DisableCoreDumpsAndTracing() {
  const rlimit no_core = {0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string("cannot set RLIMIT_CORE to 0: ") + std::strerror(errno));
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string("cannot clear PR_SET_DUMPABLE: ") + std::strerror(errno));
  }
  return OkResult();
}

}  // namespace locksmith::internal
