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
  // One grouping column, its first character the kind (n NULL, k key + the key id, f another
  // format, p plaintext): one text key hashes much faster than a (kind, key id) pair.
  std::string group;
  if (info.kind == CipherColumnKind::kText) {
    const std::string text = col + "::text";
    sql.is_ciphertext = text + " ~ '^ls[0-9]+:'";
    sql.value = text;
    group = "CASE WHEN " + col + " IS NULL THEN 'n' WHEN " + text +
            " LIKE 'ls1:%' THEN 'k' || substr(" + text + ", 5, 8) WHEN " + sql.is_ciphertext +
            " THEN 'f' ELSE 'p' END";
  } else {
    sql.is_ciphertext = "octet_length(" + col + ") >= 33 AND get_byte(" + col + ", 0) = 1";
    sql.value = "encode(" + col + ", 'hex')";
    group = "CASE WHEN " + col + " IS NULL THEN 'n' WHEN " + sql.is_ciphertext +
            " THEN 'k' || encode(substring(" + col + " from 2 for 4), 'hex') ELSE 'p' END";
  }
  sql.group = "SELECT " + group + ", count(*)" + from + " GROUP BY 1";
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
    const std::string group = row[0].as<std::string>();
    const auto rows = row[1].as<std::uint64_t>();
    report.rows_total += rows;
    switch (group.empty() ? 'p' : group[0]) {
      case 'n':
        report.null_rows += rows;
        break;
      case 'f':
        report.unknown_format_rows += rows;
        break;
      case 'k': {
        const std::string key_id = group.substr(1);
        report.key_ids.push_back({key_id, rows, in_ring.count(key_id) > 0, key_id == primary});
        break;
      }
      default:
        report.plaintext_rows += rows;
    }
  }
  txn.commit();
  std::sort(report.key_ids.begin(), report.key_ids.end(),
            [](const KeyIdRows& a, const KeyIdRows& b) {
              return a.rows != b.rows ? a.rows > b.rows : a.key_id < b.key_id;
            });
}

}  // namespace locksmith::internal
