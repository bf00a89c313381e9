#include "keys/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <type_traits>

#include "core/crypto.h"

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

// A few contexts per thread and direction, each initialised with the cipher once and remembering
// the serial of the key it holds. A call with a serial held by a slot sets only the nonce; any
// other call keys the next slot in turn (a rotation keeps both keys warm).
constexpr std::size_t kSlots = 4;

template <typename Ctx>
struct Slot {
  std::uint64_t serial = 0;  // 0: keyed with nothing reusable
  std::unique_ptr<
      Ctx, std::conditional_t<std::is_same_v<Ctx, EVP_CIPHER_CTX>, CipherCtxFree, MacCtxFree>>
      ctx;
};

template <typename Ctx>
struct SlotCache {
  std::array<Slot<Ctx>, kSlots> slots;
  std::size_t next = 0;

  // The slot holding `serial` (hit = true), or the next slot to key (hit = false).
  Slot<Ctx>& Pick(std::uint64_t serial, bool& hit) {
    if (serial != 0) {
      for (Slot<Ctx>& slot : slots) {
        if (slot.serial == serial && slot.ctx) {
          hit = true;
          return slot;
        }
      }
    }
    hit = false;
    Slot<Ctx>& slot = slots[next];
    next = (next + 1) % kSlots;
    slot.serial = 0;
    return slot;
  }
};

using CipherSlot = Slot<EVP_CIPHER_CTX>;

// The slot for `serial` in this thread's cache for one direction, with a context initialised with
// the cipher; null if OpenSSL fails.
CipherSlot* ThreadCipherSlot(bool encrypt, std::uint64_t serial, bool& hit) {
  thread_local SlotCache<EVP_CIPHER_CTX> enc;
  thread_local SlotCache<EVP_CIPHER_CTX> dec;
  CipherSlot& slot = (encrypt ? enc : dec).Pick(serial, hit);
  if (!slot.ctx) {
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx || Aes256Gcm() == nullptr ||
        EVP_CipherInit_ex2(ctx.get(), Aes256Gcm(), nullptr, nullptr, encrypt ? 1 : 0, nullptr) !=
            1) {
      return nullptr;
    }
    slot.ctx = std::move(ctx);
  }
  return &slot;
}

// Sets key (unless the slot already holds it) and nonce; records the serial on success.
bool CipherInit(CipherSlot& slot, bool hit, bool encrypt, std::span<const std::uint8_t> key,
                std::span<const std::uint8_t> nonce, std::uint64_t serial) {
  const bool ok = EVP_CipherInit_ex2(slot.ctx.get(), nullptr, hit ? nullptr : key.data(),
                                     nonce.data(), encrypt ? 1 : 0, nullptr) == 1;
  slot.serial = ok ? serial : 0;
  return ok;
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

using MacSlot = Slot<EVP_MAC_CTX>;

// The slot for `serial` in this thread's cache for one digest, with a context whose digest is set;
// null if OpenSSL fails.
MacSlot* ThreadMacSlot(HmacHash hash, std::uint64_t serial, bool& hit) {
  thread_local std::array<SlotCache<EVP_MAC_CTX>, 3> caches;
  MacSlot& slot = caches[static_cast<std::size_t>(hash)].Pick(serial, hit);
  if (!slot.ctx) {
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
    slot.ctx = std::move(ctx);
  }
  return &slot;
}

}  // namespace

bool Aes256GcmSeal(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> plaintext, std::span<const std::uint8_t> aad,
                   std::uint8_t* out, std::uint64_t key_serial) {
  if (key.size() != kGcmKeySize || nonce.size() != kGcmNonceSize) {
    return false;
  }
  bool hit = false;
  CipherSlot* slot = ThreadCipherSlot(true, key_serial, hit);
  if (slot == nullptr) {
    return false;
  }
  EVP_CIPHER_CTX* ctx = slot->ctx.get();
  int len = 0;
  bool ok = CipherInit(*slot, hit, true, key, nonce, key_serial);
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
  if (!ok) {
    slot->serial = 0;  // key it afresh next time
  }
  return ok;
}

bool Aes256GcmOpen(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                   std::span<const std::uint8_t> ciphertext_and_tag,
                   std::span<const std::uint8_t> aad, std::uint8_t* out, std::uint64_t key_serial) {
  if (key.size() != kGcmKeySize || nonce.size() != kGcmNonceSize ||
      ciphertext_and_tag.size() < kGcmTagSize) {
    return false;
  }
  const std::size_t ct_size = ciphertext_and_tag.size() - kGcmTagSize;
  bool hit = false;
  CipherSlot* slot = ThreadCipherSlot(false, key_serial, hit);
  if (slot == nullptr) {
    return false;
  }
  EVP_CIPHER_CTX* ctx = slot->ctx.get();
  std::array<std::uint8_t, kGcmTagSize> tag;
  std::copy(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_size),
            ciphertext_and_tag.end(), tag.begin());
  int len = 0;
  std::uint8_t scratch[16];
  bool ok = CipherInit(*slot, hit, false, key, nonce, key_serial);
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
  if (!ok) {
    slot->serial = 0;  // a failed open leaves nothing to trust in the context: key it afresh
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
                 std::span<const std::uint8_t> data, std::uint8_t* out, std::uint64_t key_serial) {
  bool hit = false;
  MacSlot* slot = ThreadMacSlot(hash, key_serial, hit);
  if (slot == nullptr) {
    return false;
  }
  EVP_MAC_CTX* ctx = slot->ctx.get();
  static const std::uint8_t kEmpty = 0;
  // OpenSSL rejects a null key pointer; an empty key is a valid HMAC key. With a null key,
  // EVP_MAC_init keeps the key already set (the slot holds this serial).
  const std::uint8_t* key_data = hit ? nullptr : key.empty() ? &kEmpty : key.data();
  std::size_t len = 0;
  const bool ok = EVP_MAC_init(ctx, key_data, hit ? 0 : key.size(), nullptr) == 1 &&
                  EVP_MAC_update(ctx, data.empty() ? &kEmpty : data.data(), data.size()) == 1 &&
                  EVP_MAC_final(ctx, out, &len, HmacSize(hash)) == 1 && len == HmacSize(hash);
  slot->serial = ok ? key_serial : 0;
  return ok;
}

bool HmacVerify(HmacHash hash, std::span<const std::uint8_t> key,
                std::span<const std::uint8_t> data, std::span<const std::uint8_t> tag,
                std::size_t min_tag_size, std::uint64_t key_serial) {
  std::array<std::uint8_t, 64> mac;
  if (tag.size() < min_tag_size || tag.size() > HmacSize(hash) || tag.empty() ||
      !HmacCompute(hash, key, data, mac.data(), key_serial)) {
    return false;
  }
  const bool equal = CRYPTO_memcmp(mac.data(), tag.data(), tag.size()) == 0;
  OPENSSL_cleanse(mac.data(), mac.size());
  return equal;
}

std::uint64_t NewKeySerial() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool Base64UrlDecodeAppend(std::string_view text, std::string& out) {
  const std::optional<std::size_t> size = Base64DecodedSize(text.size());
  if (!size) {
    return false;
  }
  const std::size_t start = out.size();
  out.resize(start + *size);
  return Base64DecodeUnpadded(text, /*url=*/true,
                              reinterpret_cast<std::uint8_t*>(out.data() + start));
}

bool Base64UrlDecodeTo(std::string_view text, std::uint8_t* out, std::size_t capacity,
                       std::size_t& size) {
  const std::optional<std::size_t> decoded = Base64DecodedSize(text.size());
  size = 0;
  if (!decoded || *decoded > capacity || !Base64DecodeUnpadded(text, /*url=*/true, out)) {
    return false;
  }
  size = *decoded;
  return true;
}

}  // namespace locksmith::internal
