#include "keys/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <memory>

namespace locksmith::internal {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};

// Fetched once: implicit fetching by name on every call is a large part of a short operation.
const EVP_CIPHER* Aes256Gcm() {
  static const std::unique_ptr<EVP_CIPHER, CipherFree> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return cipher.get();
}

EVP_MAC* HmacAlgorithm() {
  static const std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac.get();
}

// One context per thread and direction, initialised with the cipher once; each call sets only
// the key and nonce.
EVP_CIPHER_CTX* ThreadCipherCtx(bool encrypt) {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> enc;
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> dec;
  auto& slot = encrypt ? enc : dec;
  if (!slot) {
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx || Aes256Gcm() == nullptr ||
        EVP_CipherInit_ex2(ctx.get(), Aes256Gcm(), nullptr, nullptr, encrypt ? 1 : 0, nullptr) !=
            1) {
      return nullptr;
    }
    slot = std::move(ctx);
  }
  return slot.get();
}

const char* DigestName(HmacHash hash) {
  switch (hash) {
    case HmacHash::kSha256:
      return "SHA256";
    case HmacHash::kSha384:
      return "SHA384";
    case HmacHash::kSha512:
      return "SHA512";
  }
  return "SHA256";
}

// One MAC context per thread and digest, with the digest set once.
EVP_MAC_CTX* ThreadMacCtx(HmacHash hash) {
  thread_local std::array<std::unique_ptr<EVP_MAC_CTX, MacCtxFree>, 3> slots;
  auto& slot = slots[static_cast<std::size_t>(hash)];
  if (!slot) {
    if (HmacAlgorithm() == nullptr) {
      return nullptr;
    }
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(HmacAlgorithm()));
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                            const_cast<char*>(DigestName(hash)), 0),
                           OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_CTX_set_params(ctx.get(), params) != 1) {
      return nullptr;
    }
    slot = std::move(ctx);
  }
  return slot.get();
}

}  // namespace

bool Aes256GcmSeal(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                   std::uint8_t* out) {
  if (key.size() != kGcmKeySize || nonce.size() != kGcmNonceSize) {
    return false;
  }
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx(true);
  if (ctx == nullptr) {
    return false;
  }
  int len = 0;
  bool ok = EVP_EncryptInit_ex2(ctx, nullptr, key.data(), nonce.data(), nullptr) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  int total = 0;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx, out, &len, plaintext.data(), static_cast<int>(plaintext.size())) ==
         1;
    total = len;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx, out + total, &len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                                 out + plaintext.size()) == 1;
  return ok;
}

bool Aes256GcmOpen(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> ciphertext_and_tag,
                   std::span<const std::uint8_t> aad, std::uint8_t* out) {
  if (key.size() != kGcmKeySize || nonce.size() != kGcmNonceSize ||
      ciphertext_and_tag.size() < kGcmTagSize) {
    return false;
  }
  const std::size_t ct_size = ciphertext_and_tag.size() - kGcmTagSize;
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx(false);
  if (ctx == nullptr) {
    return false;
  }
  std::array<std::uint8_t, kGcmTagSize> tag;
  std::copy(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_size),
            ciphertext_and_tag.end(), tag.begin());
  int len = 0;
  std::uint8_t scratch[16];
  bool ok = EVP_DecryptInit_ex2(ctx, nullptr, key.data(), nonce.data(), nullptr) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  if (ok && ct_size > 0) {
    ok = EVP_DecryptUpdate(ctx, out, &len, ciphertext_and_tag.data(), static_cast<int>(ct_size)) ==
         1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                                 tag.data()) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx, scratch, &len) == 1;
  if (!ok && ct_size > 0) {
    OPENSSL_cleanse(out, ct_size);  // never hand out unauthenticated plaintext
  }
  return ok;
}

std::size_t HmacSize(HmacHash hash) {
  switch (hash) {
    case HmacHash::kSha256:
      return 32;
    case HmacHash::kSha384:
      return 48;
    case HmacHash::kSha512:
      return 64;
  }
  return 32;
}

bool HmacCompute(HmacHash hash, std::span<const std::uint8_t> key,
                 std::span<const std::uint8_t> data, std::uint8_t* out) {
  EVP_MAC_CTX* ctx = ThreadMacCtx(hash);
  if (ctx == nullptr) {
    return false;
  }
  static const std::uint8_t kEmpty = 0;
  // OpenSSL rejects a null key pointer; an empty key is a valid HMAC key.
  const std::uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  std::size_t len = 0;
  return EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1 &&
         EVP_MAC_update(ctx, data.empty() ? &kEmpty : data.data(), data.size()) == 1 &&
         EVP_MAC_final(ctx, out, &len, HmacSize(hash)) == 1 && len == HmacSize(hash);
}

bool HmacVerify(HmacHash hash, std::span<const std::uint8_t> key,
                std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag,
                std::size_t min_tag_size) {
  std::array<std::uint8_t, 64> mac;
  if (tag.size() < min_tag_size || tag.size() > HmacSize(hash) || tag.empty() ||
      !HmacCompute(hash, key, data, mac.data())) {
    return false;
  }
  const bool equal = CRYPTO_memcmp(mac.data(), tag.data(), tag.size()) == 0;
  OPENSSL_cleanse(mac.data(), mac.size());
  return equal;
}

}  // namespace locksmith::internal
