// VerifyKeyUsage over libpqxx: one GROUP BY for the key ids (the key id is read from the value in
// SQL, nothing is transferred but the counts), then, if asked, a keyset-paginated read of every
// ciphertext decrypted with the ring.
#include "locksmith/key_usage.h"

#include <optional>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>
#include <string>

#include "core/crypto.h"
#include "reencrypt/column_catalog.h"
#include "reencrypt/context_template.h"
#include "reencrypt/key_id_count.h"
#include "reencrypt/pg_error.h"

namespace locksmith {
namespace {

using internal::CipherColumnKind;
using internal::ColumnInfo;
using internal::ContextTemplate;
using internal::GuardPg;

// The decrypt pass's reads: $1 = batch size [, $2 = last id]: (id as text, value as text or hex)
// of the ciphertexts, in id order.
struct CiphertextBatchSql {
  std::string first_batch;
  std::string next_batch;
};

CiphertextBatchSql BuildCiphertextBatchSql(const ColumnInfo& info) {
  const internal::KeyIdCountSql count = internal::BuildKeyIdCountSql(info);
  const std::string id = "t." + info.quoted_id;
  const std::string select = "SELECT " + id + "::text, " + count.value + " FROM " +
                             info.quoted_table + " AS t WHERE t." + info.quoted_column +
                             " IS NOT NULL AND " + count.is_ciphertext;
  const std::string order = " ORDER BY " + id + " LIMIT $1::bigint";
  return {select + order, select + " AND " + id + " > $2::" + info.id_type + order};
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

Result<void> DecryptAll(pqxx::connection& connection, const CiphertextBatchSql& sql,
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
    KeyUsageReport report;
    auto counted = GuardPg("counting rows per key id", [&]() -> Result<void> {
      internal::CountRowsPerKeyId(connection, *info, ring, report);
      return {};
    });
    if (!counted.ok()) {
      return counted.error();
    }
    if (decrypt) {
      auto decrypted = GuardPg("reading ciphertexts", [&] {
        return DecryptAll(connection, BuildCiphertextBatchSql(*info), *info, ring, *context,
                          options, report);
      });
      if (!decrypted.ok()) {
        return decrypted.error();
      }
    }
    return report;
  });
}

}  // namespace locksmith
