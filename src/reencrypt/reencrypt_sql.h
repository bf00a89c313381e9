// The job's SQL, built once per run from quoted names (ColumnInfo) and never from row data: row
// values and ids travel only as parameters.
#pragma once

#include <string>
#include <vector>

#include "reencrypt/column_catalog.h"

namespace locksmith::internal {

struct ReencryptSql {
  // $1 = the primary key's prefix (text "ls1:<id>:", or hex of 0x01||id for BYTEA), $2 = its
  // length, $3 = batch size [, $4 = last id]: (id as text, value as text or
  // hex) of rows not under the prefix, NULLs included, in id order after the last id.
  std::string first_batch;
  std::string next_batch;
  // $1 = ids, $2 = old values, $3 = new values (array literals, see ArrayLiteral), $4 / $5 = the
  // smallest and largest id: one compare-and-set UPDATE for the batch; affected rows = rows
  // written. The id range is redundant for correctness but not for the plan: without it the
  // planner, which guesses 100 rows for unnest, may merge-join from the start of the primary key
  // index and read every row before the batch (a job slowing down as it advances).
  std::string compare_and_set;
};

ReencryptSql BuildReencryptSql(const ColumnInfo& info);

// A PostgreSQL array literal of text elements, each double-quoted and escaped: {"a","b\"c"}.
std::string ArrayLiteral(const std::vector<std::string>& elements);

}  // namespace locksmith::internal
