// The name check every provider makes: providers take logical names only. "name#field"
// references are split by the runtime (SecretsManager), which reads the field out of the value.
#pragma once

#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// ValidateSecretName, with a clear kInvalidArgument for a '#' (a field reference given to a
// provider). Messages name the name, never a value.
Result<void> ValidateLogicalName(std::string_view name);

}  // namespace locksmith::internal
