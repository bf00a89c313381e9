// VerifyKeyUsage over libpqxx: one GROUP BY for the key ids (the key id is read from the value in
// SQL, nothing is transferred but the counts), then, if asked, a keyset-paginated read of every
// ciphertext decrypted with the ring.
#include "locksmith/key_usage.h"

#include <algorithm>
#include <optional>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>
#include <set>
#include <string>

#include "core/crypto.h"
#include "reencrypt/column_catalog.h"
#include "reencrypt/context_template.h"
#include "reencrypt/pg_error.h"

namespace locksmith {
namespace {

using internal::CipherColumnKind;
using internal::ColumnInfo;
using internal::ContextTemplate;
using internal::GuardPg;

// The SQL of the verification, from quoted names only.
struct KeyUsageSql {
  // Rows: (kind: 'null' | 'key' | 'format' | 'plaintext', key id or '', count).
  std::string group;
  // $1 = batch size [, $2 = last id]: (id as text, value as text or hex) of the ciphertexts.
  std::string first_batch;
  std::string next_batch;
};

KeyUsageSql BuildKeyUsageSql(const ColumnInfo& info) {
  const std::string col = "t." + info.quoted_column;
  const std::string id = "t." + info.quoted_id;
  const std::string from = " FROM " + info.quoted_table + " AS t";
  // The same classification as the job (row_reencrypter.h): TEXT "ls1:<key id>:" is a v1
  // ciphertext, "ls<digits>:" another format; BYTEA starting with 0x01 and at least as long as
  // the smallest ciphertext (33 bytes) is one, with its key id in bytes 2-5.
  std::string kind;
  std::string key_id;
  std::string is_ciphertext;
  std::string value;
  if (info.kind == CipherColumnKind::kText) {
    kind = "CASE WHEN " + col + " IS NULL THEN 'null' WHEN left(" + col +
           "::text, 4) = 'ls1:' THEN 'key' WHEN " + col +
           "::text ~ '^ls[0-9]+:' THEN 'format' ELSE 'plaintext' END";
    key_id = "CASE WHEN left(" + col + "::text, 4) = 'ls1:' THEN split_part(" + col +
             "::text, ':', 2) ELSE '' END";
    is_ciphertext = col + "::text ~ '^ls[0-9]+:'";
    value = col + "::text";
  } else {
    is_ciphertext = "octet_length(" + col + ") >= 33 AND get_byte(" + col + ", 0) = 1";
    kind = "CASE WHEN " + col + " IS NULL THEN 'null' WHEN " + is_ciphertext +
           " THEN 'key' ELSE 'plaintext' END";
    key_id = "CASE WHEN " + is_ciphertext + " THEN encode(substring(" + col +
             " from 2 for 4), 'hex') ELSE '' END";
    value = "encode(" + col + ", 'hex')";
  }
  KeyUsageSql sql;
  sql.group = "SELECT " + kind + ", " + key_id + ", count(*)" + from + " GROUP BY 1, 2";
  const std::string select = "SELECT " + id + "::text, " + value + from + " WHERE " + col +
                             " IS NOT NULL AND " + is_ciphertext;
  const std::string order = " ORDER BY " + id + " LIMIT $1::bigint";
  sql.first_batch = select + order;
  sql.next_batch = select + " AND " + id + " > $2::" + info.id_type + order;
  return sql;
}

void CountRows(pqxx::connection& connection, const KeyUsageSql& sql, EncryptionKeyRing& ring,
               KeyUsageReport& report) {
  const std::vector<std::string> ring_ids = ring.KeyIds();
  const std::set<std::string> in_ring(ring_ids.begin(), ring_ids.end());
  const std::string primary = ring.PrimaryKeyId();
  pqxx::read_transaction txn(connection);
  for (const pqxx::row& row : txn.exec(sql.group)) {
    const std::string kind = row[0].as<std::string>();
    const auto rows = row[2].as<std::uint64_t>();
    report.rows_total += rows;
    if (kind == "null") {
      report.null_rows += rows;
    } else if (kind == "plaintext") {
      report.plaintext_rows += rows;
    } else if (kind == "format") {
      report.unknown_format_rows += rows;
    } else {
      const std::string key_id = row[1].as<std::string>();
      report.key_ids.push_back({key_id, rows, in_ring.count(key_id) > 0, key_id == primary});
    }
  }
  txn.commit();
  std::sort(report.key_ids.begin(), report.key_ids.end(),
            [](const KeyIdRows& a, const KeyIdRows& b) {
              return a.rows != b.rows ? a.rows > b.rows : a.key_id < b.key_id;
            });
}

// Decrypts one value; the plaintext is dropped (and wiped) at once.
bool DecryptsUnder(EncryptionKeyRing& ring, CipherColumnKind kind, const std::string& value,
                   const std::string& context) {
  if (kind == CipherColumnKind::kText) {
    return ring.DecryptText(value, context).ok();
  }
  auto bytes = internal::HexDecode(value);
  return bytes.ok() && ring.DecryptBinary(*bytes, context).ok();
}

Result<void> DecryptAll(pqxx::connection& connection, const KeyUsageSql& sql,
                        const ColumnInfo& info, EncryptionKeyRing& ring,
                        const ContextTemplate& context, const ReencryptionOptions& options,
                        KeyUsageReport& report) {
  const auto limit = static_cast<std::int64_t>(options.batch_size);
  std::optional<std::string> last_id;
  while (true) {
    pqxx::read_transaction txn(connection);
    const pqxx::result rows = last_id ? txn.exec_params(sql.next_batch, limit, *last_id)
                                      : txn.exec_params(sql.first_batch, limit);
    txn.commit();
    if (rows.empty()) {
      report.decrypted = true;
      return {};
    }
    for (const pqxx::row& row : rows) {
      std::string id = row[0].as<std::string>();
      if (!DecryptsUnder(ring, info.kind, row[1].as<std::string>(), context.Expand(id))) {
        ++report.undecryptable_ids.count;
        if (report.undecryptable_ids.ids.size() < options.max_reported_ids) {
          report.undecryptable_ids.ids.push_back(id);
        }
      }
      last_id = std::move(id);
    }
  }
}

}  // namespace

std::uint64_t KeyUsageReport::RowsOnKey(std::string_view key_id) const {
  for (const KeyIdRows& k : key_ids) {
    if (k.key_id == key_id) {
      return k.rows;
    }
  }
  return 0;
}

std::uint64_t KeyUsageReport::RowsOnKeysNotInRing() const {
  std::uint64_t rows = unknown_format_rows;
  for (const KeyIdRows& k : key_ids) {
    if (!k.in_ring) {
      rows += k.rows;
    }
  }
  return rows;
}

Result<KeyUsageReport> VerifyKeyUsage(const SecretValue& dsn, EncryptionKeyRing& ring,
                                      const ReencryptionOptions& options, bool decrypt) {
  if (options.table.empty() || options.column.empty() || options.id_column.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "verify: table, column and id column are required");
  }
  if (decrypt && options.batch_size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "verify: the batch size must be at least 1");
  }
  auto context = ContextTemplate::Parse(options.context_template, options.table, options.column);
  if (!context.ok()) {
    return context.error();
  }
  return GuardPg("connecting to the database", [&]() -> Result<KeyUsageReport> {
    pqxx::connection connection(std::string(dsn.RevealUnsafe()));
    auto info = internal::InspectColumn(connection, options, /*need_update=*/false);
    if (!info.ok()) {
      return info.error();
    }
    const KeyUsageSql sql = BuildKeyUsageSql(*info);
    KeyUsageReport report;
    auto counted = GuardPg("counting rows per key id", [&]() -> Result<void> {
      CountRows(connection, sql, ring, report);
      return {};
    });
    if (!counted.ok()) {
      return counted.error();
    }
    if (decrypt) {
      auto decrypted = GuardPg("reading ciphertexts", [&] {
        return DecryptAll(connection, sql, *info, ring, *context, options, report);
      });
      if (!decrypted.ok()) {
        return decrypted.error();
      }
    }
    return report;
  });
}

}  // namespace locksmith
