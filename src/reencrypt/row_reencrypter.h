// One value through the re-encryption: classify (NULL is handled by the caller), decrypt with the
// ring under its context, encrypt with the primary key. No database here.
#pragma once

#include <string>
#include <string_view>

#include "locksmith/encryption_key_ring.h"

namespace locksmith::internal {

// How the column stores ciphertexts: TEXT "ls1:..." or BYTEA (given and returned as lowercase
// hex, which is how the job moves bytea through SQL).
enum class CipherColumnKind { kText, kBytea };

enum class RowOutcome { kReencrypted, kPlaintext, kUndecryptable };

struct ReencryptedValue {
  RowOutcome outcome = RowOutcome::kUndecryptable;
  std::string new_value;  // only for kReencrypted: text form, or hex of the binary form
};

// kPlaintext: not a ciphertext of any format (TEXT without an "ls<digits>:" prefix, BYTEA whose
// first byte is not 0x01 or shorter than the smallest ciphertext). kUndecryptable: a ciphertext
// that does not decrypt (unknown format version, key not in the ring, wrong context, corrupt).
// Fails only if encryption itself fails (returned as the error).
Result<ReencryptedValue> ReencryptValue(EncryptionKeyRing& ring, CipherColumnKind kind,
                                        std::string_view value, std::string_view context);

}  // namespace locksmith::internal
