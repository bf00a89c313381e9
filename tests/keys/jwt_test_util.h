// Hand-made tokens for JWT tests: any header and payload, signed with any key and hash.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/crypto.h"

namespace locksmith::testing {

inline std::string B64Url(std::string_view text) {
  return internal::Base64UrlEncode(internal::AsBytes(text));
}

// base64url(header).base64url(payload).base64url(HMAC(digest, key, signing input))
inline std::string MakeToken(std::string_view header, std::string_view payload,
                             std::string_view key, std::string_view digest = "SHA256") {
  std::string input = B64Url(header) + "." + B64Url(payload);
  auto mac = internal::Hmac(digest, internal::AsBytes(key), internal::AsBytes(input));
  return input + "." + internal::Base64UrlEncode(*mac);
}

}  // namespace locksmith::testing
