// Differential: the three base64 decoders against each other and OpenSSL's EVP_DecodeBlock.
// base64url (JWT segments): keys' fast path (Base64UrlDecodeAppend, Base64UrlDecodeTo), core's
// Base64UrlDecode and Base64DecodeUnpadded agree on accept/reject and on the bytes; OpenSSL, on
// the text translated to the standard alphabet and padded, agrees too, once the two rules it
// does not enforce are applied here (only the alphabet, no '=' or white space; zero trailing
// bits). An accepted text is canonical: encoding the bytes gives it back.
// Standard base64 (ciphertexts, master keys): core's Base64Decode accepts a text only if OpenSSL
// decodes its padded form to the same bytes, and the canonical encoding of an accepted text is
// the text (padding added when it was left out).
#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "fuzz_check.h"
#include "keys/primitives.h"

namespace {

namespace internal = locksmith::internal;

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  return c == '-' || c == '+' ? 62 : c == '_' || c == '/' ? 63 : -1;
}

// OpenSSL on standard-alphabet text padded to a multiple of 4; false if it refuses.
bool OpenSslDecode(std::string padded, std::vector<std::uint8_t>& out) {
  if (padded.size() % 4 != 0) {
    return false;
  }
  out.assign(padded.size() / 4 * 3 + 1, 0);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0) {
    return false;
  }
  std::size_t pad = 0;
  while (pad < padded.size() && padded[padded.size() - 1 - pad] == '=') {
    ++pad;
  }
  out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts the padding's zeros
  return true;
}

void DiffBase64Url(std::string_view text) {
  std::string fast;
  const bool fast_ok = internal::Base64UrlDecodeAppend(text, fast);
  auto core = internal::Base64UrlDecode(text);
  FUZZ_CHECK(fast_ok == core.ok(), "fast path and core agree on accept/reject");
  std::uint8_t fixed[64];
  std::size_t fixed_size = 0;
  const bool fixed_ok = internal::Base64UrlDecodeTo(text, fixed, sizeof(fixed), fixed_size);
  FUZZ_CHECK(fixed_ok == (fast_ok && fast.size() <= sizeof(fixed)),
             "the fixed-buffer decoder accepts what fits");
  if (fixed_ok) {
    FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(fixed), fixed_size) == fast,
               "the fixed-buffer decoder gives the same bytes");
  }
  const auto size = internal::Base64DecodedSize(text.size());
  if (size) {
    std::vector<std::uint8_t> unpadded(*size + 1);
    const bool unpadded_ok = internal::Base64DecodeUnpadded(text, true, unpadded.data());
    FUZZ_CHECK(unpadded_ok == fast_ok, "Base64DecodeUnpadded agrees on accept/reject");
    if (unpadded_ok) {
      FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(unpadded.data()), *size) == fast,
                 "Base64DecodeUnpadded gives the same bytes");
    }
  } else {
    FUZZ_CHECK(!fast_ok, "a length of 1 mod 4 is refused");
  }
  if (fast_ok) {
    FUZZ_CHECK(core->size() == fast.size() && std::equal(core->begin(), core->end(), fast.begin(),
                                                         [](std::uint8_t a, char b) {
                                                           return a == static_cast<std::uint8_t>(b);
                                                         }),
               "fast path and core give the same bytes");
    FUZZ_CHECK(internal::Base64UrlEncode(*core) == text, "an accepted text is canonical");
  }
  // OpenSSL, on the standard alphabet, with the rules it does not check applied here.
  std::string standard;
  bool alphabet_only = true;
  for (char c : text) {
    alphabet_only = alphabet_only && c != '+' && c != '/' && Base64Value(c) >= 0;
    standard += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (!alphabet_only || text.size() % 4 == 1) {
    FUZZ_CHECK(!fast_ok, "only the url alphabet, in a possible length, is accepted");
    return;
  }
  const std::size_t rest = text.size() % 4;
  const bool zero_trailing_bits =
      rest == 0 || (Base64Value(text.back()) & (rest == 2 ? 0x0f : 0x03)) == 0;
  standard.append((4 - rest) % 4, '=');
  std::vector<std::uint8_t> openssl;
  const bool openssl_ok = OpenSslDecode(standard, openssl);
  FUZZ_CHECK(fast_ok == (openssl_ok && zero_trailing_bits),
             "OpenSSL agrees on accept/reject (given canonical trailing bits)");
  if (fast_ok) {
    FUZZ_CHECK(
        openssl.size() == fast.size() &&
            std::equal(openssl.begin(), openssl.end(), fast.begin(),
                       [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }),
        "OpenSSL gives the same bytes");
  }
}

void DiffBase64Standard(std::string_view text) {
  auto core = internal::Base64Decode(text);
  if (!core.ok()) {
    FUZZ_CHECK(!core.error().message.empty(), "a refusal has a message");
    return;
  }
  const std::string canonical = internal::Base64Encode(*core);
  FUZZ_CHECK(canonical.starts_with(text) &&
                 canonical.find_first_not_of('=', text.size()) == std::string::npos,
             "an accepted text is the canonical encoding, padding optional");
  std::vector<std::uint8_t> openssl;
  FUZZ_CHECK(OpenSslDecode(canonical, openssl) && openssl == *core,
             "OpenSSL decodes it to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    DiffBase64Url(rest);
  } else {
    DiffBase64Standard(rest);
  }
  return 0;
}
