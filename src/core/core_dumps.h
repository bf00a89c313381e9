// Keeping the process's memory to itself: no core file and no same-user ptrace or /proc/PID/mem.
#pragma once

#include "locksmith/result.h"

namespace locksmith::internal {

// prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE {0, 0}. Not dumpable also makes /proc/PID/* (environ,
// mem, maps) owned by root and refuses ptrace from other processes of the same user; the hard
// limit of 0 cannot be raised again without CAP_SYS_RESOURCE. kInternal if a call fails.
Result<void> DisableCoreDumpsAndTracing();

}  // namespace locksmith::internal
