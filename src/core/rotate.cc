#include "core/rotate.h"

#include <openssl/crypto.h>

#include <vector>

#include "core/crypto.h"

namespace locksmith {

Result<SecretValue> GenerateSecretValue(Random& random, std::size_t bytes) {
  if (bytes == 0 || bytes > 4096) {
    return MakeError(ErrorCode::kInvalidArgument, "secret size must be 1 to 4096 bytes");
  }
  std::vector<std::uint8_t> raw(bytes);
  auto filled = random.Fill(raw);
  SecretValue encoded = internal::Base64EncodeSecret(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  LOCKSMITH_RETURN_IF_ERROR(filled);
  return encoded;
}

}  // namespace locksmith
