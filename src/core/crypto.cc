#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <memory>
#include <optional>

namespace locksmith::internal {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Error DecryptionFailed() { return MakeError(ErrorCode::kDataLoss, "decryption failed"); }

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

template <typename Out>
void EncodeInto(std::span<const std::uint8_t> in, std::string_view alphabet, bool pad, Out& out) {
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t n = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t n = in[i] << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (pad) {
      out.push_back('=');
      out.push_back('=');
    }
  } else if (rest == 2) {
    std::uint32_t n = (in[i] << 16) | (in[i + 1] << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    if (pad) {
      out.push_back('=');
    }
  }
}

// Character -> 6-bit value, or -1; one table per alphabet.
using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable MakeDecodeTable(std::string_view alphabet) {
  DecodeTable table{};
  for (auto& v : table) {
    v = -1;
  }
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr DecodeTable kDecode = MakeDecodeTable(kB64);
constexpr DecodeTable kDecodeUrl = MakeDecodeTable(kB64Url);

// Decodes into `out` (which the caller wipes if secret). Rejects characters outside the
// alphabet, misplaced padding and non-canonical trailing bits.
bool DecodeInto(std::string_view text, bool url, std::vector<std::uint8_t>& out) {
  // Standard base64: unpadded, or padded with the one or two '=' that complete the last quad.
  // Any other '=' (more of them, or a partial or padded-only quad) is not an encoding.
  if (!url && text.ends_with('=')) {
    const std::size_t pad = text.ends_with("==") ? 2 : 1;
    if (text.size() % 4 != 0) {
      return false;
    }
    text.remove_suffix(pad);
  }
  const std::optional<std::size_t> size = Base64DecodedSize(text.size());
  if (!size) {
    return false;
  }
  const std::size_t start = out.size();
  out.resize(start + *size);
  return Base64DecodeUnpadded(text, url, out.data() + start);
}

}  // namespace

std::optional<std::size_t> Base64DecodedSize(std::size_t unpadded_size) {
  if (unpadded_size % 4 == 1) {
    return std::nullopt;
  }
  return unpadded_size / 4 * 3 + (unpadded_size % 4 == 0 ? 0 : unpadded_size % 4 - 1);
}

// Four characters at a time: a bad one makes the OR of the lookups negative.
bool Base64DecodeUnpadded(std::string_view text, bool url, std::uint8_t* out) {
  const DecodeTable& table = url ? kDecodeUrl : kDecode;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t quads = text.size() / 4;
  for (std::size_t q = 0; q < quads; ++q, in += 4, out += 3) {
    const int a = table[in[0]];
    const int b = table[in[1]];
    const int c = table[in[2]];
    const int d = table[in[3]];
    if ((a | b | c | d) < 0) {
      return false;
    }
    const auto n = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    out[0] = static_cast<std::uint8_t>(n >> 16);
    out[1] = static_cast<std::uint8_t>(n >> 8);
    out[2] = static_cast<std::uint8_t>(n);
  }
  const std::size_t rest = text.size() % 4;
  if (rest == 0) {
    return true;
  }
  if (rest == 1) {
    return false;
  }
  const int a = table[in[0]];
  const int b = table[in[1]];
  const int c = rest == 3 ? table[in[2]] : 0;
  if ((a | b | c) < 0) {
    return false;
  }
  const auto n = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
  out[0] = static_cast<std::uint8_t>(n >> 16);
  if (rest == 2) {
    return (n & 0xffff) == 0;  // 4 leftover bits must be zero
  }
  out[1] = static_cast<std::uint8_t>(n >> 8);
  return (n & 0xff) == 0;  // 2 leftover bits must be zero
}

Result<std::vector<std::uint8_t>> AesGcmSeal(const SecretValue& key,
                                             std::span<const std::uint8_t> nonce,
                                             std::span<const std::uint8_t> plaintext,
                                             std::span<const std::uint8_t> aad) {
  if (key.size() != kAesGcmKeySize || nonce.size() != kAesGcmNonceSize) {
    return MakeError(ErrorCode::kInvalidArgument, "AES-256-GCM needs a 32-byte key, 12-byte nonce");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::vector<std::uint8_t> out(plaintext.size() + kAesGcmTagSize);
  int len = 0;
  int total = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                                nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.RevealBytesUnsafe().data(),
                               nonce.data()) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                           static_cast<int>(plaintext.size())) == 1;
    total = len;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + total, &len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAesGcmTagSize,
                                 out.data() + plaintext.size()) == 1;
  if (!ok) {
    return MakeError(ErrorCode::kInternal, "AES-256-GCM encryption failed");
  }
  return out;
}

Result<SecretValue> AesGcmOpen(const SecretValue& key, std::span<const std::uint8_t> nonce,
                               std::span<const std::uint8_t> ciphertext_and_tag,
                               std::span<const std::uint8_t> aad) {
  if (key.size() != kAesGcmKeySize || nonce.size() != kAesGcmNonceSize ||
      ciphertext_and_tag.size() < kAesGcmTagSize) {
    return DecryptionFailed();
  }
  std::size_t ct_size = ciphertext_and_tag.size() - kAesGcmTagSize;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  SecretValue plain = SecretValue::Zeroed(ct_size);
  std::array<std::uint8_t, kAesGcmTagSize> tag;
  std::copy(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_size),
            ciphertext_and_tag.end(), tag.begin());
  int len = 0;
  // A scratch byte so EVP_DecryptFinal_ex has somewhere to point for empty plaintexts.
  std::uint8_t scratch[16];
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                                nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.RevealBytesUnsafe().data(),
                               nonce.data()) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  if (ok && ct_size > 0) {
    ok = EVP_DecryptUpdate(ctx.get(), plain.MutableBytesUnsafe().data(), &len,
                           ciphertext_and_tag.data(), static_cast<int>(ct_size)) == 1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAesGcmTagSize, tag.data()) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), scratch, &len) == 1;
  if (!ok) {
    return DecryptionFailed();  // `plain` is wiped by its destructor
  }
  return plain;
}

std::vector<std::uint8_t> Sha256(std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out(32);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Result<std::vector<std::uint8_t>> Hmac(std::string_view digest, std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data) {
  const EVP_MD* md = digest == "SHA256"   ? EVP_sha256()
                     : digest == "SHA384" ? EVP_sha384()
                     : digest == "SHA512" ? EVP_sha512()
                                          : nullptr;
  if (md == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "unsupported HMAC digest");
  }
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  static const std::uint8_t kEmpty = 0;
  if (HMAC(md, key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
           data.empty() ? &kEmpty : data.data(), data.size(), out.data(), &len) == nullptr) {
    return MakeError(ErrorCode::kInternal, "HMAC failed");
  }
  out.resize(len);
  return out;
}

std::string HexEncode(std::span<const std::uint8_t> data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<std::vector<std::uint8_t>> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "hex text has an odd length");
  }
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return MakeError(ErrorCode::kInvalidArgument, "not hex text");
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  EncodeInto(data, kB64, true, out);
  return out;
}

Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  if (!DecodeInto(text, false, out)) {
    return MakeError(ErrorCode::kInvalidArgument, "not valid base64");
  }
  return out;
}

std::string Base64UrlEncode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  EncodeInto(data, kB64Url, false, out);
  return out;
}

Result<std::vector<std::uint8_t>> Base64UrlDecode(std::string_view text) {
  std::vector<std::uint8_t> out;
  if (!DecodeInto(text, true, out)) {
    return MakeError(ErrorCode::kInvalidArgument, "not valid base64url");
  }
  return out;
}

SecretValue Base64EncodeSecret(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  EncodeInto(data, kB64, true, out);
  SecretValue v(out);
  OPENSSL_cleanse(out.data(), out.size());
  return v;
}

Result<SecretValue> Base64DecodeSecret(std::string_view text) {
  std::vector<std::uint8_t> out;
  bool ok = DecodeInto(text, false, out);
  SecretValue v(std::span<const std::uint8_t>(out.data(), out.size()));
  if (!out.empty()) {
    OPENSSL_cleanse(out.data(), out.capacity());
  }
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument, "not valid base64");
  }
  return v;
}

}  // namespace locksmith::internal
