#include "cli/connection_argument.h"

#include <openssl/crypto.h>

namespace locksmith {

Result<std::optional<SecretValue>> ResolveConnectionArgument(
    const ConnectionArgument& spec, const std::optional<std::string>& flag_value,
    const std::optional<std::string>& env_name, const EnvLookup& env) {
  if (flag_value && env_name) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "give " + spec.flag + " or " + spec.env_flag + ", not both");
  }
  if (env_name) {
    std::optional<std::string> value = env(*env_name);
    if (!value || value->empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       spec.env_flag + ": the variable " + *env_name + " is not set or empty");
    }
    SecretValue secret(*value);
    OPENSSL_cleanse(value->data(), value->size());
    // A password is fine here (the environment is not world-readable); the syntax is checked.
    LOCKSMITH_RETURN_IF_ERROR(spec.has_password(secret.RevealUnsafe()));
    return std::optional<SecretValue>(std::move(secret));
  }
  if (!flag_value) {
    return std::optional<SecretValue>();
  }
  LOCKSMITH_ASSIGN_OR_RETURN(bool has_password, spec.has_password(*flag_value));
  if (has_password) {
    return MakeError(ErrorCode::kInvalidArgument,
                     spec.flag +
                         " holds a password, and every local user can read a process's "
                         "arguments: " +
                         spec.password_hint);
  }
  return std::optional<SecretValue>(SecretValue(*flag_value));
}

}  // namespace locksmith
