// jwt sign, jwt verify, encrypt, decrypt: thin wrappers over the key rings.
#include "cli/key_commands.h"

#include <openssl/crypto.h>

#include <istream>
#include <iterator>
#include <ostream>

#include "core/strings.h"
#include "locksmith/duration.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/jwt_key_ring.h"

namespace locksmith {
namespace {

constexpr std::size_t kMaxInput = 1 << 20;

// Reads `in` to EOF into a SecretValue; the scratch string is wiped.
Result<SecretValue> ReadAll(std::istream& in) {
  std::string data;
  char buffer[4096];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxInput) {
      OPENSSL_cleanse(data.data(), data.size());
      return MakeError(ErrorCode::kInvalidArgument, "input is larger than 1 MiB");
    }
  }
  OPENSSL_cleanse(buffer, sizeof(buffer));
  SecretValue value(data);
  OPENSSL_cleanse(data.data(), data.size());
  return value;
}

}  // namespace

Result<void> JwtSignCommand(SecretsManager& manager, Clock& clock,
                            const JwtSignCommandOptions& options, std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::chrono::milliseconds ttl, ParseDuration(options.ttl));
  const auto ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  if (ttl_seconds.count() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--ttl must be at least 1s");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(JwtKeyRingPtr ring,
                             JwtKeyRing::Create(manager, options.key, {}, clock));
  LOCKSMITH_ASSIGN_OR_RETURN(std::string token, ring->Sign(options.claims, ttl_seconds));
  out << token << "\n";
  out.flush();
  return OkResult();
}

Result<void> JwtVerifyCommand(SecretsManager& manager, Clock& clock, std::string_view key,
                              std::string_view token, std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(JwtKeyRingPtr ring,
                             JwtKeyRing::Create(manager, std::string(key), {}, clock));
  LOCKSMITH_ASSIGN_OR_RETURN(VerifiedJwt verified, ring->Verify(internal::Trim(token)));
  out << verified.claims_json << "\n";
  out.flush();
  return OkResult();
}

Result<void> EncryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                            std::string_view key, std::string_view aad, std::istream& in,
                            std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      EncryptionKeyRingPtr ring,
      EncryptionKeyRing::Create(manager, std::string(key), {}, random, metrics));
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue plaintext, ReadAll(in));
  LOCKSMITH_ASSIGN_OR_RETURN(std::string ciphertext,
                             ring->EncryptText(plaintext.RevealBytesUnsafe(), aad));
  out << ciphertext << "\n";
  out.flush();
  return OkResult();
}

Result<void> DecryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                            std::string_view key, std::string_view aad, std::istream& in,
                            std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      EncryptionKeyRingPtr ring,
      EncryptionKeyRing::Create(manager, std::string(key), {}, random, metrics));
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue input, ReadAll(in));
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue plaintext,
                             ring->DecryptText(internal::Trim(input.RevealUnsafe()), aad));
  out.write(plaintext.RevealUnsafe().data(),
            static_cast<std::streamsize>(plaintext.RevealUnsafe().size()));
  out.flush();
  return OkResult();
}

}  // namespace locksmith
