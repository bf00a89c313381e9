// ProcessEnv: the real process environment as an EnvLookup.
#include <cstdlib>
#include <string>

#include "locksmith/dotenv_provider.h"

namespace locksmith {

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    // getenv needs a NUL-terminated name.
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

}  // namespace locksmith
