#include "reencrypt/reencrypt_sql.h"

#include <algorithm>

namespace locksmith::internal {

ReencryptSql BuildReencryptSql(const ColumnInfo& info) {
  const std::string& t = info.quoted_table;
  // Every column reference is qualified by the alias "t": an unqualified ORDER BY id would sort
  // by the output column id::text ("10" < "4") and the cursor would skip rows.
  const std::string col = "t." + info.quoted_column;
  const std::string id = "t." + info.quoted_id;
  const bool text = info.kind == CipherColumnKind::kText;
  // The value's format-and-key prefix compared with the primary's: a NULL value is DISTINCT from
  // it, so NULLs are read (and reported) too.
  const std::string prefix = text ? "left(" + col + ", $2::int)"
                                  : "encode(substring(" + col + " from 1 for $2::int), 'hex')";
  const std::string value = text ? col + "::text" : "encode(" + col + ", 'hex')";

  ReencryptSql sql;
  const std::string select = "SELECT " + id + "::text AS row_id, " + value + " AS row_value FROM " +
                             t + " AS t WHERE " + prefix + " IS DISTINCT FROM $1";
  const std::string order = " ORDER BY " + id + " LIMIT $3::bigint";
  sql.first_batch = select + order;
  sql.next_batch = select + " AND " + id + " > $4::" + info.id_type + order;
  const std::string decode_old = text ? "v.old_value" : "decode(v.old_value, 'hex')";
  const std::string decode_new = text ? "v.new_value" : "decode(v.new_value, 'hex')";
  sql.compare_and_set = "UPDATE " + t + " AS t SET " + info.quoted_column + " = " + decode_new +
                        " FROM unnest($1::" + info.id_type +
                        "[], $2::text[], $3::text[]) AS v(row_id, old_value, new_value) WHERE " +
                        id + " = v.row_id AND " + col + " = " + decode_old + " AND " + id +
                        " BETWEEN $4::" + info.id_type + " AND $5::" + info.id_type;
  return sql;
}

std::string ArrayLiteral(const std::vector<std::string>& elements) {
  std::size_t size = 2;
  for (const std::string& e : elements) {
    size += e.size() + 3;
  }
  std::string out;
  out.reserve(size);
  out += '{';
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += '"';
    // Ids, base64 and hex never need escaping: copied whole.
    const std::string& e = elements[i];
    if (std::none_of(e.begin(), e.end(), [](char c) { return c == '"' || c == '\\'; })) {
      out += e;
    } else {
      for (const char c : e) {
        if (c == '"' || c == '\\') {
          out += '\\';
        }
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace locksmith::internal
