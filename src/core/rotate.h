// Fresh random secret values, for SecretsManager::Rotate and the development seeds.
#pragma once

#include <cstddef>
#include <string_view>

#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// `bytes` fresh random bytes, base64-encoded (so the value is printable text).
Result<SecretValue> GenerateSecretValue(Random& random, std::size_t bytes);

}  // namespace locksmith
