// EncryptionKeyRing::DecryptText and DecryptBinary (keys/encryption_key_ring.cc) with a fixed
// ring (two keys, version ids "k2" primary and "k1"). The first byte picks the mode:
//   0: the rest is a text ciphertext ("ls1:<key id>:<base64>");  1: a binary one (0x01 || id ...).
//      Decrypt never crashes; a failure is kDataLoss "decryption failed", whatever the cause.
//      A success is only possible for bytes Encrypt produced (the AES-GCM tag): every seed that
//      decrypts was made from a plaintext starting with kCiphertextFuzzMarker, so a success must
//      give such a plaintext; a text form that decrypts is the canonical one, and its binary
//      form decrypts to the same bytes.
//   2, 3: the rest is a plaintext. EncryptText / EncryptBinary round-trip it; the ciphertext with
//      one bit flipped, truncated, under another context, or given to a ring without its key
//      fails with kDataLoss "decryption failed".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "fixed_clock_random.h"
#include "fuzz_check.h"
#include "locksmith/encryption_key_ring.h"

namespace {

using locksmith::EncryptionKeyRing;
using locksmith::ErrorCode;

constexpr std::string_view kCiphertextFuzzMarker = "fuzz-seed-plaintext:";
constexpr std::string_view kCiphertextFuzzContext = "users.encrypted_email.42";
// base64 of 32 bytes each: "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210",
// and an unrelated key for the ring that does not hold them.
constexpr std::string_view kCiphertextKey2 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
constexpr std::string_view kCiphertextKey1 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
constexpr std::string_view kCiphertextOtherKey = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktIS0=";

struct CiphertextRings {
  locksmith::fuzz::CountingRandom random;
  std::unique_ptr<EncryptionKeyRing> ring;
  std::unique_ptr<EncryptionKeyRing> other;

  CiphertextRings() {
    std::vector<locksmith::EncryptionKeyMaterial> keys;
    keys.push_back({"k2", locksmith::SecretValue(kCiphertextKey2)});
    keys.push_back({"k1", locksmith::SecretValue(kCiphertextKey1)});
    auto built = EncryptionKeyRing::FromKeys(std::move(keys), {}, random, nullptr);
    FUZZ_CHECK(built.ok(), "the fixed ring builds");
    ring = std::move(built).value();
    std::vector<locksmith::EncryptionKeyMaterial> other_keys;
    other_keys.push_back({"k3", locksmith::SecretValue(kCiphertextOtherKey)});
    auto built_other = EncryptionKeyRing::FromKeys(std::move(other_keys), {}, random, nullptr);
    FUZZ_CHECK(built_other.ok(), "the other ring builds");
    other = std::move(built_other).value();
  }
};

CiphertextRings& Rings() {
  static CiphertextRings* rings = new CiphertextRings();
  return *rings;
}

template <typename T>
void ExpectDecryptionFailed(const locksmith::Result<T>& result, const char* what) {
  FUZZ_CHECK(!result.ok(), what);
  FUZZ_CHECK(
      result.error().code == ErrorCode::kDataLoss && result.error().message == "decryption failed",
      "a failed decrypt is kDataLoss \"decryption failed\"");
}

bool HasMarker(const locksmith::SecretValue& plain) {
  return plain.RevealUnsafe().starts_with(kCiphertextFuzzMarker);
}

void FuzzDecryptText(std::string_view text) {
  auto plain = Rings().ring->DecryptText(text, kCiphertextFuzzContext);
  if (!plain.ok()) {
    ExpectDecryptionFailed(plain, "a failed text decrypt fails");
    return;
  }
  FUZZ_CHECK(HasMarker(*plain), "only ciphertexts made by Encrypt decrypt");
  // "ls1:" + 8 hex + ":" + canonical base64 of the body.
  auto id = locksmith::internal::HexDecode(text.substr(4, 8));
  auto body = locksmith::internal::Base64Decode(text.substr(13));
  FUZZ_CHECK(id.ok() && body.ok(), "a decrypted text form has a hex id and a base64 body");
  FUZZ_CHECK(locksmith::internal::Base64Encode(*body) == text.substr(13),
             "only the canonical text form decrypts");
  std::vector<std::uint8_t> binary{1};
  binary.insert(binary.end(), id->begin(), id->end());
  binary.insert(binary.end(), body->begin(), body->end());
  auto same = Rings().ring->DecryptBinary(binary, kCiphertextFuzzContext);
  FUZZ_CHECK(same.ok() && *same == *plain,
             "the binary form of a text ciphertext decrypts the same");
  ExpectDecryptionFailed(Rings().other->DecryptText(text, kCiphertextFuzzContext),
                         "a ring without the key refuses it");
}

void FuzzDecryptBinary(std::span<const std::uint8_t> bytes) {
  auto plain = Rings().ring->DecryptBinary(bytes, kCiphertextFuzzContext);
  if (!plain.ok()) {
    ExpectDecryptionFailed(plain, "a failed binary decrypt fails");
    return;
  }
  FUZZ_CHECK(HasMarker(*plain), "only ciphertexts made by Encrypt decrypt");
  ExpectDecryptionFailed(Rings().other->DecryptBinary(bytes, kCiphertextFuzzContext),
                         "a ring without the key refuses it");
}

void FuzzRoundTrip(std::span<const std::uint8_t> plaintext, bool text_form) {
  EncryptionKeyRing& ring = *Rings().ring;
  const std::string_view plain_text(reinterpret_cast<const char*>(plaintext.data()),
                                    plaintext.size());
  // Which byte to corrupt and where to cut, from the plaintext itself.
  std::size_t pick = 0;
  for (std::uint8_t b : plaintext) {
    pick = pick * 31 + b;
  }
  if (text_form) {
    auto sealed = ring.EncryptText(plaintext, kCiphertextFuzzContext);
    FUZZ_CHECK(sealed.ok(), "EncryptText succeeds");
    FUZZ_CHECK(sealed->starts_with("ls1:" + ring.PrimaryKeyId() + ":"),
               "a text ciphertext names the primary key");
    auto opened = ring.DecryptText(*sealed, kCiphertextFuzzContext);
    FUZZ_CHECK(opened.ok() && opened->RevealUnsafe() == plain_text, "text round trip");
    std::string corrupt = *sealed;
    const std::size_t at = 13 + pick % (corrupt.size() - 13);
    corrupt[at] = corrupt[at] == 'A' ? 'B' : 'A';
    ExpectDecryptionFailed(ring.DecryptText(corrupt, kCiphertextFuzzContext),
                           "a corrupted text ciphertext is refused");
    ExpectDecryptionFailed(
        ring.DecryptText(std::string_view(*sealed).substr(0, pick % sealed->size()),
                         kCiphertextFuzzContext),
        "a truncated text ciphertext is refused");
    ExpectDecryptionFailed(ring.DecryptText(*sealed, "users.encrypted_email.43"),
                           "another context is refused");
    ExpectDecryptionFailed(Rings().other->DecryptText(*sealed, kCiphertextFuzzContext),
                           "a wrong key id is refused");
    return;
  }
  auto sealed = ring.EncryptBinary(plaintext, kCiphertextFuzzContext);
  FUZZ_CHECK(sealed.ok(), "EncryptBinary succeeds");
  FUZZ_CHECK(sealed->size() == 1 + 4 + 12 + plaintext.size() + 16, "binary ciphertext size");
  auto opened = ring.DecryptBinary(*sealed, kCiphertextFuzzContext);
  FUZZ_CHECK(opened.ok() && opened->RevealUnsafe() == plain_text, "binary round trip");
  std::vector<std::uint8_t> corrupt = *sealed;
  corrupt[pick % corrupt.size()] ^= static_cast<std::uint8_t>(1u << (pick / 7 % 8));
  ExpectDecryptionFailed(ring.DecryptBinary(corrupt, kCiphertextFuzzContext),
                         "a bit flipped anywhere is refused");
  ExpectDecryptionFailed(
      ring.DecryptBinary(std::span(*sealed).first(pick % sealed->size()), kCiphertextFuzzContext),
      "a truncated binary ciphertext is refused");
  ExpectDecryptionFailed(ring.DecryptBinary(*sealed, ""), "another context is refused");
  ExpectDecryptionFailed(Rings().other->DecryptBinary(*sealed, kCiphertextFuzzContext),
                         "a wrong key id is refused");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      FuzzDecryptText(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()));
      break;
    case 1:
      FuzzDecryptBinary(rest);
      break;
    default:
      FuzzRoundTrip(rest, data[0] % 4 == 2);
      break;
  }
  return 0;
}
