// VerifyKeyUsage: which keys the values of one encrypted PostgreSQL column need, read from the
// data itself (every value carries its key id). The check before a key leaves the ring
// (`locksmith reencrypt --verify`, docs/reencryption.md): rows per key id counted in SQL, NULL and
// plaintext rows counted, and optionally every ciphertext decrypted with the ring to find the rows
// it cannot read. Read-only: needs SELECT on the id and value columns only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/encryption_key_ring.h"
#include "locksmith/reencryption_job.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct KeyIdRows {
  std::string key_id;  // 8 lowercase hex, as in the ciphertext
  std::uint64_t rows = 0;
  bool in_ring = false;  // the ring has this key id (it can decrypt these rows)
  bool primary = false;  // the ring's primary key id (new values are written under it)
};

struct KeyUsageReport {
  std::uint64_t rows_total = 0;
  std::vector<KeyIdRows> key_ids;  // most rows first, then by key id
  // A ciphertext of a format version this library does not know ("ls2:..."): no key reads it.
  std::uint64_t unknown_format_rows = 0;
  std::uint64_t null_rows = 0;
  std::uint64_t plaintext_rows = 0;  // not a ciphertext (legacy plaintext)
  // Only when decrypted: ciphertexts the ring fails to decrypt (key missing, wrong context,
  // corrupt), ids capped at max_reported_ids.
  bool decrypted = false;
  ReencryptionRowIds undecryptable_ids;

  std::uint64_t RowsOnKey(std::string_view key_id) const;
  // Rows the ring cannot decrypt by their key id alone (key ids not in the ring, unknown formats).
  std::uint64_t RowsOnKeysNotInRing() const;
};

// Uses options.table, column, id_column, context_template, batch_size (decrypt pass) and
// max_reported_ids; the rest is ignored. `decrypt`: also read every ciphertext (keyset batches,
// as the job reads) and decrypt it under its context; plaintexts are wiped at once and never
// leave the function. Errors as ReencryptionJob::Run (kPermissionDenied only for SELECT).
Result<KeyUsageReport> VerifyKeyUsage(const SecretValue& dsn, EncryptionKeyRing& ring,
                                      const ReencryptionOptions& options, bool decrypt);

}  // namespace locksmith
