// Wiring the CLI's objects from the environment.
#include "locksmith/commands.h"

namespace locksmith {

Result<CliRuntime> BuildCliRuntime(const EnvLookup& env, bool background_refresh, Clock& clock,
                                   Random& random) {
  CliRuntime runtime;
  LOCKSMITH_ASSIGN_OR_RETURN(runtime.config, LoadConfig(env));
  LOCKSMITH_ASSIGN_OR_RETURN(ProviderPtr provider,
                             CreateProvider(runtime.config, env, clock, random));
  runtime.metrics = Metrics::Create();
  SecretsManagerOptions options = runtime.config.manager;
  options.background_refresh = background_refresh;
  LOCKSMITH_ASSIGN_OR_RETURN(
      runtime.manager,
      SecretsManager::Create(options, std::move(provider), clock, random, runtime.metrics.get()));
  return runtime;
}

}  // namespace locksmith
