// Rows of an encrypted column per key id, counted in SQL (one GROUP BY; nothing but the counts is
// transferred): what `--verify` prints, what the job counts when it starts and finishes, and the
// source of the rows-remaining gauge.
#pragma once

#include <pqxx/connection>
#include <string>

#include "locksmith/encryption_key_ring.h"
#include "locksmith/key_usage.h"
#include "reencrypt/column_catalog.h"

namespace locksmith::internal {

// The classification of row_reencrypter.h in SQL: TEXT "ls1:<key id>:" is a v1 ciphertext,
// "ls<digits>:" another format; BYTEA starting with 0x01 and at least as long as the smallest
// ciphertext (33 bytes) is one, with its key id in bytes 2-5.
struct KeyIdCountSql {
  // Rows: (group, count); group 'n' NULL, 'k' + key id, 'f' another format, 'p' plaintext.
  std::string group;
  // A boolean SQL expression: the row's value is a ciphertext of some format.
  std::string is_ciphertext;
  // The value as text (TEXT) or hex (BYTEA).
  std::string value;
};

KeyIdCountSql BuildKeyIdCountSql(const ColumnInfo& info);

// Fills rows_total, key_ids (most rows first), unknown_format_rows, null_rows, plaintext_rows.
// Throws pqxx errors (callers run it under GuardPg).
void CountRowsPerKeyId(pqxx::connection& connection, const ColumnInfo& info,
                       EncryptionKeyRing& ring, KeyUsageReport& report);

}  // namespace locksmith::internal
