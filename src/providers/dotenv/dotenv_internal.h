// Internals of the dotenv back end shared with its tests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

// The version id the dotenv back end gives a value: the first 16 hex digits of its HMAC-SHA-256
// under `id_key`, so a changed value is a new version, an unchanged one keeps its id across
// re-reads and restarts (with the same key), and the id says nothing about the value.
Result<std::string> DotenvVersionId(const SecretValue& id_key, const SecretValue& value);

// The 32-byte version-id key in `path` (base64, mode 0600, this user's own file: see
// core/private_file.h), created with fresh bytes from `random` if missing.
Result<SecretValue> LoadOrCreateDotenvIdKey(const std::filesystem::path& path, Random& random);

// The key from `path` (LoadOrCreateDotenvIdKey); if `path` is empty or unusable, a random key for
// this process only, with a log line saying that ids will change at restart.
Result<SecretValue> DotenvIdKey(const std::filesystem::path& path, Random& random);

// Whether the dotenv back end may ever read environment variable `var` from the process
// environment: not locksmith's own or a back end's credentials (LOCKSMITH_*, VAULT_*, AWS_*).
// Beyond this, only names the .env file sets or DotenvOptions::env_allow lists are read.
bool DotenvMayReadFromEnvironment(std::string_view var);

// The development-only warning is logged once per process; tests reset that here.
void ResetDotenvWarningForTest();

}  // namespace locksmith::internal
