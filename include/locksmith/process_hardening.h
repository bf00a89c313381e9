// HardenProcess: keeps this process's memory, and so its secrets, out of core dumps and away from
// other processes of the same user. Call it first thing in main(), before reading any secret:
//
//   if (auto hardened = locksmith::HardenProcess(); !hardened.ok()) { /* report, exit */ }
//   auto secrets = locksmith::SecretsManager::FromEnv();
//
// It sets prctl(PR_SET_DUMPABLE, 0) (no core file; /proc/PID/environ, mem and maps owned by
// root; ptrace from the same user refused) and RLIMIT_CORE to {0, 0} (a hard limit the process
// cannot raise again). The `locksmith` program does this for every command. The library leaves
// it to the service (FromEnv does not call it): it is process-wide and cannot be undone, and a
// service may rely on core dumps, a debugger or a profiler attaching. docs/configuration.md says
// more.
//
// LOCKSMITH_ALLOW_CORE_DUMPS=true skips both, for someone who needs a core (the dump may then
// hold secrets; SecretValue's larger values and the cache's entries are still left out of it,
// MADV_DONTDUMP).
#pragma once

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "locksmith/result.h"

namespace locksmith {

// Reads LOCKSMITH_ALLOW_CORE_DUMPS from the process environment. kInvalidArgument when the
// variable is not a boolean; kInternal when a system call fails (the error says which).
Result<void> HardenProcess();
Result<void> HardenProcess(const EnvLookup& env);

}  // namespace locksmith
