// Internal primitives of the key rings: AES-256-GCM with a 96-bit nonce and a 128-bit tag, and
// HMAC-SHA-2 with a constant-time check. Both reuse one OpenSSL context per thread, so a call
// costs the cipher or MAC itself rather than context allocation and algorithm fetching.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace locksmith::internal {

inline constexpr std::size_t kGcmKeySize = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

// Writes ciphertext || tag (plaintext.size() + 16 bytes) to `out`. False on any failure.
bool Aes256GcmSeal(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                   std::uint8_t* out);

// Opens ciphertext || tag into `out` (ciphertext_and_tag.size() - 16 bytes). False on any failure
// (sizes, tag mismatch); `out` is then wiped.
bool Aes256GcmOpen(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> ciphertext_and_tag,
                   std::span<const std::uint8_t> aad, std::uint8_t* out);

enum class HmacHash { kSha256, kSha384, kSha512 };
std::size_t HmacSize(HmacHash hash);  // 32, 48, 64

// HMAC of `data` into `out` (HmacSize bytes). False on failure.
bool HmacCompute(HmacHash hash, std::span<const std::uint8_t> key,
                 std::span<const std::uint8_t> data, std::uint8_t* out);

// Whether `tag` equals the first tag.size() bytes of the HMAC (constant time in the contents).
// `min_tag_size` guards against accepting short tags: a tag shorter than it never matches.
bool HmacVerify(HmacHash hash, std::span<const std::uint8_t> key,
                std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag,
                std::size_t min_tag_size);

inline std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace locksmith::internal
