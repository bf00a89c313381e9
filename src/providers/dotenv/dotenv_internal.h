// Internals of the dotenv back end shared with its tests.
#pragma once

#include <string>
#include <string_view>

#include "locksmith/secret_value.h"

namespace locksmith::internal {

// The version id the dotenv back end gives a value: the first 16 hex digits of its SHA-256, so a
// changed value is a new version and an unchanged one keeps its id across re-reads.
std::string DotenvVersionId(const SecretValue& value);

// Whether the dotenv back end may read environment variable `var` from the process
// environment: not locksmith's own or a back end's credentials (LOCKSMITH_*, VAULT_*, AWS_*).
bool DotenvMayReadFromEnvironment(std::string_view var);

// The development-only warning is logged once per process; tests reset that here.
void ResetDotenvWarningForTest();

}  // namespace locksmith::internal
