// Loading the versions of a key secret through the runtime: current, previous, and any extra
// version ids. Shared by the JWT and encryption key rings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/provider.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

struct KeyVersions {
  Secret current;
  std::optional<Secret> previous;
  std::vector<Secret> extra;
};

// `current`, if given, is the version a subscription just announced (so it is not read again).
// The previous version is found by id through Describe (a stage lookup could be served from a
// cache entry older than the rotation), falling back to the previous stage when the back end
// cannot describe. A missing previous version is not an error.
Result<KeyVersions> LoadKeyVersions(SecretsManager& manager, std::string_view name,
                                    std::optional<Secret> current,
                                    const std::vector<std::string>& extra_version_ids);

}  // namespace locksmith::internal
