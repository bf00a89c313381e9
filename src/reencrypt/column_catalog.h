// What the job needs to know about the table, from the catalogue: the names quoted for SQL, how
// the column stores ciphertexts, the id column's type, and whether the role may do the job.
#pragma once

#include <pqxx/connection>
#include <string>

#include "locksmith/reencryption_job.h"
#include "locksmith/result.h"
#include "reencrypt/row_reencrypter.h"

namespace locksmith::internal {

struct ColumnInfo {
  // Quoted by the server's rules (pqxx quote_name), ready to paste into SQL.
  std::string quoted_table;  // "schema"."table"
  std::string quoted_column;
  std::string quoted_id;
  CipherColumnKind kind = CipherColumnKind::kText;
  // The id column's SQL type from a fixed list ("bigint", "text", ...), for casts of parameters.
  std::string id_type;
};

// kInvalidArgument: no such table (or not a table), no such column, a column that is not
// TEXT/VARCHAR/BYTEA, an id column of an unsupported type or without a unique index on it alone.
// kPermissionDenied: no SELECT on the id and value columns, or (need_update) no UPDATE on the
// value column. Database failures as CurrentPgError.
Result<ColumnInfo> InspectColumn(pqxx::connection& connection, const ReencryptionOptions& options,
                                 bool need_update);

}  // namespace locksmith::internal
