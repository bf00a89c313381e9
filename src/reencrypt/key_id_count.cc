#include "reencrypt/key_id_count.h"

#include <algorithm>
#include <pqxx/result>
#include <pqxx/transaction>
#include <set>
#include <vector>

namespace locksmith::internal {

KeyIdCountSql BuildKeyIdCountSql(const ColumnInfo& info) {
  const std::string col = "t." + info.quoted_column;
  const std::string from = " FROM " + info.quoted_table + " AS t";
  KeyIdCountSql sql;
  std::string kind;
  std::string key_id;
  if (info.kind == CipherColumnKind::kText) {
    kind = "CASE WHEN " + col + " IS NULL THEN 'null' WHEN left(" + col +
           "::text, 4) = 'ls1:' THEN 'key' WHEN " + col +
           "::text ~ '^ls[0-9]+:' THEN 'format' ELSE 'plaintext' END";
    key_id = "CASE WHEN left(" + col + "::text, 4) = 'ls1:' THEN split_part(" + col +
             "::text, ':', 2) ELSE '' END";
    sql.is_ciphertext = col + "::text ~ '^ls[0-9]+:'";
    sql.value = col + "::text";
  } else {
    sql.is_ciphertext = "octet_length(" + col + ") >= 33 AND get_byte(" + col + ", 0) = 1";
    kind = "CASE WHEN " + col + " IS NULL THEN 'null' WHEN " + sql.is_ciphertext +
           " THEN 'key' ELSE 'plaintext' END";
    key_id = "CASE WHEN " + sql.is_ciphertext + " THEN encode(substring(" + col +
             " from 2 for 4), 'hex') ELSE '' END";
    sql.value = "encode(" + col + ", 'hex')";
  }
  sql.group = "SELECT " + kind + ", " + key_id + ", count(*)" + from + " GROUP BY 1, 2";
  return sql;
}

void CountRowsPerKeyId(pqxx::connection& connection, const ColumnInfo& info,
                       EncryptionKeyRing& ring, KeyUsageReport& report) {
  const KeyIdCountSql sql = BuildKeyIdCountSql(info);
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

}  // namespace locksmith::internal
