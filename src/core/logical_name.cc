#include "core/logical_name.h"

#include <string>

#include "core/strings.h"
#include "locksmith/naming.h"

namespace locksmith::internal {

Result<void> ValidateLogicalName(std::string_view name) {
  if (name.find('#') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "secret name '" + PrintableExcerpt(name) +
                         "' contains '#': providers take logical names; 'name#field' is "
                         "resolved by the runtime (SecretsManager)");
  }
  return ValidateSecretName(name);
}

}  // namespace locksmith::internal
