// Rotation helpers shared by the CLI, the agent and the key rings.
#pragma once

#include <cstddef>
#include <string_view>

#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// `bytes` fresh random bytes, base64-encoded (so the value is printable text).
Result<SecretValue> GenerateSecretValue(Random& random, std::size_t bytes);

// Stores a fresh random value as a new version of `name` and makes it current (the old current
// becomes previous): Put as pending, then PromoteToCurrent, as AWS rotation does; a back end
// without a pending stage (kUnimplemented) gets a plain Put as current.
Result<VersionInfo> RotateSecret(Provider& provider, Random& random, std::string_view name,
                                 std::size_t bytes);

}  // namespace locksmith
