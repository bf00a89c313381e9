// The compact JWS form of HMAC-signed JWTs (RFC 7515 7.1): splitting a token into its base64url
// segments, reading the protected header, decoding the signature, and assembling a signed token.
// Verification errors are kUnauthenticated "jwt: ..." and never quote the token.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "keys/jwt_json.h"
#include "keys/primitives.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

HmacHash JwtHash(JwtAlgorithm alg);

// "jwt: <what>", and "jwt: malformed (<what>)".
Error JwtReject(std::string_view what);
Error JwtMalformed(std::string_view what);

// The three segments of a compact token, still base64url, and the signed part.
struct JwsSegments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header.payload
};
// Malformed unless the token has exactly three parts.
Result<JwsSegments> SplitJws(std::string_view token);

// What verification reads from the header.
struct JwtHeaderFields {
  JsonMember alg, crit, typ, kid;
};

// Decodes a base64url segment, appending to `text`; `what` names it in the error.
Result<void> DecodeJwsSegment(std::string_view segment, std::string_view what, std::string& text);

// Reads the header fields from the decoded header. When the fast path is unsure the header is
// parsed into `dom`, which the fields then point into. Malformed unless it is a JSON object.
Result<void> ReadJwtHeader(std::string_view text, JwtHeaderFields& fields,
                           std::optional<nlohmann::json>& dom);

// The largest HMAC, and so the largest signature that can verify.
inline constexpr std::size_t kMaxJwsSignatureSize = 64;
using JwsSignatureBuffer = std::array<std::uint8_t, kMaxJwsSignatureSize>;

// Decodes the signature segment into `buffer`. Malformed if it is not base64url; "bad signature"
// if its size is not that of `hash`'s HMAC.
Result<std::span<const std::uint8_t>> DecodeJwsSignature(std::string_view segment, HmacHash hash,
                                                         JwsSignatureBuffer& buffer);

// base64url(header JSON) "." base64url(claims JSON). kInvalidArgument if the claims hold text
// that is not UTF-8.
Result<std::string> EncodeJwsSigningInput(const nlohmann::json& header,
                                          const nlohmann::json& claims);

// Appends "." and the base64url HMAC of `token` (the signing input) under `key`.
Result<void> AppendJwsSignature(HmacHash hash, const SecretValue& key, std::string& token);

}  // namespace locksmith::internal
