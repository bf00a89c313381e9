// Wiring the CLI's objects from the environment.
#include "cli/commands.h"
#include "config/from_env.h"

namespace locksmith {

Result<CliRuntime> BuildCliRuntime(const EnvLookup& env, bool background_refresh, Clock& clock,
                                   Random& random) {
  CliRuntime runtime;
  LOCKSMITH_ASSIGN_OR_RETURN(runtime.config, LoadConfig(env));
  runtime.config.manager.background_refresh = background_refresh;
  LOCKSMITH_ASSIGN_OR_RETURN(runtime.manager,
                             internal::ManagerFromConfig(runtime.config, env, clock, random));
  return runtime;
}

}  // namespace locksmith
