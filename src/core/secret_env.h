// Secret-bearing environment variables (VAULT_TOKEN, LOCKSMITH_MASTER_KEY, AWS_SECRET_ACCESS_KEY,
// ...) taken out of the process environment the first time they are read: the value moves into a
// SecretValue kept for the life of the process, the variable is unset, and the bytes of the
// original "NAME=value" string are overwritten where the kernel put them at exec (the block
// /proc/PID/environ shows, which unsetenv alone leaves untouched). Child processes started later
// do not inherit these variables. ProcessEnv() reads them through here; a fake EnvLookup in tests
// never does.
#pragma once

#include <optional>
#include <string_view>

#include "locksmith/secret_value.h"

namespace locksmith::internal {

// True for the variables this library reads that carry a secret.
bool IsSecretBearingEnvVar(std::string_view name);

// The variable's value, taken out of the environment on the first read and kept since; a later
// setenv of the same name replaces the kept value (and is taken out in turn). nullopt when it was
// never set. Thread-safe among callers of this function, but unsetenv races with getenv in other
// threads: read the configuration before starting threads that read the environment (as
// SecretsManager::FromEnv is used: once, at start).
std::optional<SecretValue> TakeSecretEnvVar(std::string_view name);

// Takes every secret-bearing variable out of the environment now, read or not: the `locksmith`
// program does this at start, so none of them outlives start-up in /proc/PID/environ.
void TakeAllSecretEnvVars();

}  // namespace locksmith::internal
