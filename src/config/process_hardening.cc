// HardenProcess: LOCKSMITH_ALLOW_CORE_DUMPS, then the system calls of core/core_dumps.h.
#include "locksmith/process_hardening.h"

#include <spdlog/spdlog.h>

#include "config/env_reader.h"
#include "core/core_dumps.h"
#include "locksmith/log.h"

namespace locksmith {

Result<void> HardenProcess(const EnvLookup& env) {
  internal::EnvReader r(env);
  bool allow_core_dumps = false;
  r.Bool("LOCKSMITH_ALLOW_CORE_DUMPS", allow_core_dumps);
  LOCKSMITH_RETURN_IF_ERROR(r.Status());
  if (allow_core_dumps) {
    Logger()->warn(
        "LOCKSMITH_ALLOW_CORE_DUMPS is set: core dumps and same-user ptrace stay allowed, and a "
        "dump may hold secrets");
    return OkResult();
  }
  return internal::DisableCoreDumpsAndTracing();
}

Result<void> HardenProcess() { return HardenProcess(ProcessEnv()); }

}  // namespace locksmith
