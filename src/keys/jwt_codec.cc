// The compact JWS form: segments, header, signature, and assembly.
#include "keys/jwt_codec.h"

#include <openssl/crypto.h>

#include <exception>

#include "core/crypto.h"

namespace locksmith::internal {

HmacHash JwtHash(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kHS256:
      return HmacHash::kSha256;
    case JwtAlgorithm::kHS384:
      return HmacHash::kSha384;
    case JwtAlgorithm::kHS512:
      return HmacHash::kSha512;
  }
  return HmacHash::kSha256;
}

Error JwtReject(std::string_view what) {
  return MakeError(ErrorCode::kUnauthenticated, "jwt: " + std::string(what));
}

Error JwtMalformed(std::string_view what) {
  return JwtReject("malformed (" + std::string(what) + ")");
}

Result<JwsSegments> SplitJws(std::string_view token) {
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return JwtMalformed("not three parts");
  }
  return JwsSegments{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                     token.substr(dot2 + 1), token.substr(0, dot2)};
}

Result<void> DecodeJwsSegment(std::string_view segment, std::string_view what, std::string& text) {
  if (!Base64UrlDecodeAppend(segment, text)) {
    return JwtMalformed(std::string(what) + " is not base64url");
  }
  return OkResult();
}

Result<void> ReadJwtHeader(std::string_view text, JwtHeaderFields& fields,
                           std::optional<nlohmann::json>& dom) {
  static constexpr std::array<std::string_view, 4> kWanted = {"alg", "crit", "typ", "kid"};
  std::array<JsonMember, 4> found;
  if (JsonScanner(text).ScanObject(kWanted, found)) {
    fields = JwtHeaderFields{found[0], found[1], found[2], found[3]};
    return OkResult();
  }
  dom = ParseJsonObject(text);
  if (!dom) {
    return JwtMalformed("header is not a JSON object");
  }
  fields = JwtHeaderFields{JsonMemberFromDom(*dom, "alg"), JsonMemberFromDom(*dom, "crit"),
                           JsonMemberFromDom(*dom, "typ"), JsonMemberFromDom(*dom, "kid")};
  return OkResult();
}

Result<std::span<const std::uint8_t>> DecodeJwsSignature(std::string_view segment, HmacHash hash,
                                                         JwsSignatureBuffer& buffer) {
  std::size_t size = 0;
  if (!Base64UrlDecodeTo(segment, buffer.data(), buffer.size(), size)) {
    // Invalid, or longer than any HMAC: the latter is a bad signature, as a wrong length is.
    if (!Base64UrlDecode(segment).ok()) {
      return JwtMalformed("signature is not base64url");
    }
    return JwtReject("bad signature");
  }
  if (size != HmacSize(hash)) {
    return JwtReject("bad signature");
  }
  return std::span<const std::uint8_t>(buffer.data(), size);
}

Result<std::string> EncodeJwsSigningInput(const nlohmann::json& header,
                                          const nlohmann::json& claims) {
  try {
    const std::string header_text = header.dump();
    const std::string claims_text = claims.dump();
    return Base64UrlEncode(Bytes(header_text)) + "." + Base64UrlEncode(Bytes(claims_text));
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "jwt: claims are not valid UTF-8");
  }
}

Result<void> AppendJwsSignature(HmacHash hash, const SecretValue& key, std::string& token) {
  std::array<std::uint8_t, kMaxJwsSignatureSize> mac;
  if (!HmacCompute(hash, key.RevealBytesUnsafe(), Bytes(token), mac.data())) {
    return MakeError(ErrorCode::kInternal, "jwt: HMAC failed");
  }
  token += '.';
  token += Base64UrlEncode(std::span(mac.data(), HmacSize(hash)));
  OPENSSL_cleanse(mac.data(), mac.size());
  return OkResult();
}

}  // namespace locksmith::internal
