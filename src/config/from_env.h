// Building a SecretsManager from a loaded Config: the one place behind SecretsManager::FromEnv
// and the CLI's runtime.
#pragma once

#include "locksmith/clock.h"
#include "locksmith/config.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

// CreateProvider(config, env) and SecretsManager::Create with config.manager; the manager owns
// its metrics. `clock` and `random` must outlive it.
Result<SecretsManagerPtr> ManagerFromConfig(Config& config, const EnvLookup& env, Clock& clock,
                                            Random& random);

}  // namespace locksmith::internal
