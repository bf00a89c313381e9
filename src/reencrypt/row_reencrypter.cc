#include "reencrypt/row_reencrypter.h"

#include <cstdint>
#include <vector>

#include "core/crypto.h"

namespace locksmith::internal {
namespace {

constexpr std::string_view kBinaryFormatV1Hex = "01";
constexpr std::size_t kMinBinaryCiphertext = 1 + 4 + 12 + 16;  // version, key id, nonce, tag

// "ls<digits>:" — the text form of some format version, known or not.
bool HasTextFormatPrefix(std::string_view value) {
  if (value.size() < 4 || value.substr(0, 2) != "ls") {
    return false;
  }
  std::size_t i = 2;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
    ++i;
  }
  return i > 2 && i < value.size() && value[i] == ':';
}

}  // namespace

Result<ReencryptedValue> ReencryptValue(EncryptionKeyRing& ring, CipherColumnKind kind,
                                        std::string_view value, std::string_view context) {
  ReencryptedValue out;
  if (kind == CipherColumnKind::kText) {
    if (!HasTextFormatPrefix(value)) {
      out.outcome = RowOutcome::kPlaintext;
      return out;
    }
    auto plaintext = ring.DecryptText(value, context);
    if (!plaintext.ok()) {
      out.outcome = RowOutcome::kUndecryptable;
      return out;
    }
    auto encrypted = ring.EncryptText(plaintext->RevealBytesUnsafe(), context);
    if (!encrypted.ok()) {
      return encrypted.error();
    }
    out.outcome = RowOutcome::kReencrypted;
    out.new_value = std::move(encrypted).value();
    return out;
  }
  // Classified on the hex text, so a legacy plaintext is never decoded into memory here.
  if (value.size() < 2 * kMinBinaryCiphertext || value.substr(0, 2) != kBinaryFormatV1Hex) {
    out.outcome = RowOutcome::kPlaintext;
    return out;
  }
  auto bytes = HexDecode(value);
  if (!bytes.ok()) {
    // The job selects encode(col, 'hex'): not hex means a bug, not a row.
    return MakeError(ErrorCode::kInternal, "bytea value not read as hex");
  }
  auto plaintext = ring.DecryptBinary(*bytes, context);
  if (!plaintext.ok()) {
    out.outcome = RowOutcome::kUndecryptable;
    return out;
  }
  auto encrypted = ring.EncryptBinary(plaintext->RevealBytesUnsafe(), context);
  if (!encrypted.ok()) {
    return encrypted.error();
  }
  out.outcome = RowOutcome::kReencrypted;
  out.new_value = HexEncode(*encrypted);
  return out;
}

}  // namespace locksmith::internal
