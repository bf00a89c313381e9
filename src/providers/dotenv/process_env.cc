// ProcessEnv: the real process environment as an EnvLookup. Secret-bearing variables are taken
// out of the environment on their first read and answered from a kept copy since
// (core/secret_env.h).
#include <cstdlib>
#include <string>

#include "core/secret_env.h"
#include "locksmith/dotenv_provider.h"

namespace locksmith {

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (internal::IsSecretBearingEnvVar(name)) {
      std::optional<SecretValue> taken = internal::TakeSecretEnvVar(name);
      if (!taken.has_value()) {
        return std::nullopt;
      }
      // The readers wipe this copy once they have their own SecretValue.
      return std::string(taken->RevealUnsafe());
    }
    // getenv needs a NUL-terminated name.
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

}  // namespace locksmith
