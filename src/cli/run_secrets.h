// What `locksmith run` hands its child (docs/cli.md, "run"): which secrets under which variable
// names, their values, and the child's environment built from run's own minus the back end's
// credentials.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct RunSecret {
  std::string env_var;  // "DB_PASSWORD"
  std::string ref;      // "database-password", or "database#password"
};

// "ENV=ref": ENV is [A-Za-z_][A-Za-z0-9_]*, ref a secret reference (ParseSecretRef). Errors
// (kInvalidArgument) quote the spec only up to the '=' (a mistyped value must not be echoed).
Result<RunSecret> ParseRunSecretSpec(std::string_view spec);

// The secrets to deliver: each --secret spec (a variable named twice is kInvalidArgument), or,
// with none, each standard secret (StandardSecrets()) that exists in the back end under its
// canonical variable (DATABASE_PASSWORD) and, with `env_file_names`, under each of its other
// `.env` names too (DB_PASSWORD, POSTGRES_PASSWORD). Errors: kInvalidArgument for
// `env_file_names` with specs; kNotFound when no standard secret exists; a back end's error
// other than kNotFound for a standard secret.
Result<std::vector<RunSecret>> SelectRunSecrets(SecretsManager& manager,
                                                const std::vector<std::string>& specs,
                                                bool env_file_names);

// The current value of every secret, in order. An error names the variable and the secret, with
// the back end's code: "cannot set JWT_SECRET: secret 'jwt-secret' not found", or "cannot set
// JWT_SECRET from secret 'jwt-secret': <a message not naming it>".
Result<std::vector<SecretValue>> ReadRunSecrets(SecretsManager& manager,
                                                const std::vector<RunSecret>& secrets);

// Run's own variables that never reach the child: the back end's credentials (VAULT_TOKEN,
// VAULT_SECRET_ID, AWS_SECRET_ACCESS_KEY, LOCKSMITH_MASTER_KEY, ...: those locksmith takes out of
// its own environment at start) and the variables that point at them or pair with them
// (LOCKSMITH_MASTER_KEY_FILE, VAULT_TOKEN_FILE, VAULT_SECRET_ID_FILE, VAULT_ROLE_ID,
// AWS_ACCESS_KEY_ID, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).
bool IsWithheldFromRunChild(std::string_view env_var);

// "NAME=value" strings for execve, wiped when destroyed.
class ChildEnvironment {
 public:
  ChildEnvironment() = default;
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;
  ChildEnvironment(ChildEnvironment&&) = default;
  ChildEnvironment& operator=(ChildEnvironment&&) = default;
  ~ChildEnvironment();

  void Add(std::string_view name, std::string_view value);
  const std::vector<std::string>& entries() const { return entries_; }
  // A null-terminated array pointing into entries(), valid while this object is unchanged.
  std::vector<char*> Envp();

 private:
  std::vector<std::string> entries_;
};

// The child's environment: `base` ("NAME=value" entries, run's environment) without the withheld
// variables and without NAME or NAME_FILE of any delivered secret, then for each secret
// NAME=value, or NAME_FILE=<file> when `files` is not empty (files[i] is secret i's file).
ChildEnvironment BuildChildEnvironment(const std::vector<std::string_view>& base,
                                       const std::vector<RunSecret>& secrets,
                                       const std::vector<SecretValue>& values,
                                       const std::vector<std::string>& files);

}  // namespace locksmith
