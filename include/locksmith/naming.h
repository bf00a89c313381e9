// Naming: logical secret names, "name#field" references, back-end paths and env var names.
// The convention is written down in docs/naming.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// A reference as a service writes it: "db-encryption-key" or "database#password".
struct SecretRef {
  std::string name;   // logical name
  std::string field;  // empty: the whole value
};

// Logical names: 1-256 characters of [A-Za-z0-9_.-] in segments separated by single '/',
// not starting or ending with '/'.
Result<void> ValidateSecretName(std::string_view name);

// Splits "name#field" and validates both parts (a field is 1-128 chars, no '#').
Result<SecretRef> ParseSecretRef(std::string_view ref);

// prefix "agentauri-backend/production" + name "jwt-secret" ->
// "agentauri-backend/production/jwt-secret". Slashes at the joint are not doubled; an empty
// prefix gives the name.
std::string JoinSecretPath(std::string_view prefix, std::string_view name);

// The inverse: the logical name for `path` under `prefix`, or empty if it is not under it.
std::string StripSecretPrefix(std::string_view prefix, std::string_view path);

// "db-encryption-key" -> "DB_ENCRYPTION_KEY" ('-', '.', '/' become '_', letters upper-cased).
std::string EnvVarNameFor(std::string_view name);
// "DB_ENCRYPTION_KEY" -> "db-encryption-key".
std::string SecretNameForEnvVar(std::string_view env_var);

// The guide's critical secrets (docs/naming.md "Standard names"): the logical name and the `.env`
// variables it is known by, the canonical one (EnvVarNameFor(name)) first, then aliases used by
// the guide's own `.env` and common setups (DB_PASSWORD for database-password). An alias belongs
// to exactly one standard name.
struct StandardSecret {
  std::string_view name;                   // "database-password"
  std::string_view description;            // "the database user's password"
  std::vector<std::string_view> env_vars;  // {"DATABASE_PASSWORD", "DB_PASSWORD", ...}
};
const std::vector<StandardSecret>& StandardSecrets();

// The standard secret `name` is, or nullptr.
const StandardSecret* FindStandardSecret(std::string_view name);

// The logical name a `.env` variable stands for: the standard name of a canonical variable or an
// alias (matched whatever the case: "db_password" -> "database-password"), otherwise
// SecretNameForEnvVar(env_var).
std::string SecretNameForDotenvVariable(std::string_view env_var);

// The `.env` variables that may hold `name`: a standard secret's env_vars, otherwise
// {EnvVarNameFor(name)}.
std::vector<std::string> DotenvVariablesFor(std::string_view name);

// The string or number at top-level key `field` of a JSON object secret. A value that is not a
// JSON object, or lacks the field, is an error whose text never contains any part of the value.
Result<SecretValue> ExtractJsonField(const SecretValue& json_object, std::string_view field);

}  // namespace locksmith
