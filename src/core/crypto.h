// Internal crypto primitives on OpenSSL 3: AES-256-GCM, SHA-256, HMAC, base64, hex. Keys and
// plaintexts travel as SecretValue; nothing here logs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

inline constexpr std::size_t kAesGcmKeySize = 32;
inline constexpr std::size_t kAesGcmNonceSize = 12;
inline constexpr std::size_t kAesGcmTagSize = 16;

// Returns ciphertext || 16-byte tag. `key` must be 32 bytes, `nonce` 12 bytes.
Result<std::vector<std::uint8_t>> AesGcmSeal(const SecretValue& key,
                                             std::span<const std::uint8_t> nonce,
                                             std::span<const std::uint8_t> plaintext,
                                             std::span<const std::uint8_t> aad);

// Opens ciphertext || tag. Any failure (wrong key, tampered data, wrong aad, bad sizes) is the
// same kDataLoss "decryption failed" error.
Result<SecretValue> AesGcmOpen(const SecretValue& key, std::span<const std::uint8_t> nonce,
                               std::span<const std::uint8_t> ciphertext_and_tag,
                               std::span<const std::uint8_t> aad);

std::vector<std::uint8_t> Sha256(std::span<const std::uint8_t> data);
// HMAC with SHA-256/384/512 (`digest` is "SHA256", "SHA384" or "SHA512").
Result<std::vector<std::uint8_t>> Hmac(std::string_view digest, std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data);

std::string HexEncode(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> HexDecode(std::string_view hex);

// Standard alphabet with padding. Decoding accepts missing padding, rejects anything else.
std::string Base64Encode(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
// The fast path under the decoders above: `text` without padding, decoded into exactly
// Base64DecodedSize(text.size()) bytes at `out` (url: the URL-safe alphabet). False for a
// character outside the alphabet or non-zero trailing bits; Base64DecodedSize is nullopt for a
// length of 1 mod 4 (never valid).
std::optional<std::size_t> Base64DecodedSize(std::size_t unpadded_size);
bool Base64DecodeUnpadded(std::string_view text, bool url, std::uint8_t* out);
// Base64url without padding (JWT).
std::string Base64UrlEncode(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> Base64UrlDecode(std::string_view text);

// As above, for secret material: the result lives in a SecretValue, the scratch is wiped.
SecretValue Base64EncodeSecret(std::span<const std::uint8_t> data);
Result<SecretValue> Base64DecodeSecret(std::string_view text);

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace locksmith::internal
