#include "config/from_env.h"

#include <utility>

namespace locksmith {
namespace internal {

Result<SecretsManagerPtr> ManagerFromConfig(Config& config, const EnvLookup& env, Clock& clock,
                                            Random& random) {
  LOCKSMITH_ASSIGN_OR_RETURN(ProviderPtr provider, CreateProvider(config, env, clock, random));
  return SecretsManager::Create(std::move(provider),
                                {.options = config.manager, .clock = &clock, .random = &random});
}

}  // namespace internal

Result<SecretsManagerPtr> SecretsManager::FromEnv(const EnvLookup& env) {
  LOCKSMITH_ASSIGN_OR_RETURN(Config config, LoadConfig(env));
  return internal::ManagerFromConfig(config, env, SystemClock(), SystemRandom());
}

Result<SecretsManagerPtr> SecretsManager::FromEnv() { return FromEnv(ProcessEnv()); }

}  // namespace locksmith
