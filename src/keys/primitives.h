// Internal primitives of the key rings: AES-256-GCM with a 96-bit nonce and a 128-bit tag, and
// HMAC-SHA-2 with a constant-time check. Both reuse OpenSSL contexts per thread, so a call costs
// the cipher or MAC itself rather than context allocation and algorithm fetching.
//
// Key serials: a caller that holds immutable key material may give it a serial (NewKeySerial(),
// never reused in the process). Each thread then keeps a few contexts already keyed by serial, so
// repeated calls with the same key skip the key schedule (AES key expansion and GHASH table, or
// HMAC's inner and outer pads). Serial 0 means "no serial": the context is keyed on every call.
// A thread's contexts keep the key schedules of the last few keys it used (as one context per
// thread kept the last key before); OpenSSL wipes them when the thread exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace locksmith::internal {

inline constexpr std::size_t kGcmKeySize = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

// Writes ciphertext || tag (plaintext.size() + 16 bytes) to `out`. False on any failure.
bool Aes256GcmSeal(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                   std::uint8_t* out, std::uint64_t key_serial = 0);

// Opens ciphertext || tag into `out` (ciphertext_and_tag.size() - 16 bytes). False on any failure
// (sizes, tag mismatch); `out` is then wiped.
bool Aes256GcmOpen(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> ciphertext_and_tag,
                   std::span<const std::uint8_t> aad, std::uint8_t* out,
                   std::uint64_t key_serial = 0);

enum class HmacHash { kSha256, kSha384, kSha512 };
std::size_t HmacSize(HmacHash hash);  // 32, 48, 64

// HMAC of `data` into `out` (HmacSize bytes). False on failure.
bool HmacCompute(HmacHash hash, std::span<const std::uint8_t> key,
                 std::span<const std::uint8_t> data, std::uint8_t* out,
                 std::uint64_t key_serial = 0);

// Whether `tag` equals the first tag.size() bytes of the HMAC (constant time in the contents).
// `min_tag_size` guards against accepting short tags: a tag shorter than it never matches.
bool HmacVerify(HmacHash hash, std::span<const std::uint8_t> key,
                std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag,
                std::size_t min_tag_size, std::uint64_t key_serial = 0);

// A serial for one immutable key (see above); never 0, never repeated.
std::uint64_t NewKeySerial();

// Base64url without padding, as core's Base64UrlDecode (same alphabet, no '=', canonical trailing
// bits), appending to `out` without other allocation. False on invalid input (`out` then holds
// partial output).
bool Base64UrlDecodeAppend(std::string_view text, std::string& out);
// The same into a fixed buffer; false also if the result would exceed `capacity`.
bool Base64UrlDecodeTo(std::string_view text, std::uint8_t* out, std::size_t capacity,
                       std::size_t& size);

inline std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace locksmith::internal
