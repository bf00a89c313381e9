#include "reencrypt/column_catalog.h"

#include <optional>
#include <pqxx/result>
#include <pqxx/transaction>
#include <string_view>

#include "reencrypt/pg_error.h"

namespace locksmith::internal {
namespace {

struct CatalogColumn {
  std::string type_name;  // pg_type.typname
  long attnum = 0;
};

// The id types the job pages by, and the SQL type name used in casts.
std::optional<std::string> IdSqlType(std::string_view typname) {
  if (typname == "int2") {
    return "smallint";
  }
  if (typname == "int4") {
    return "integer";
  }
  if (typname == "int8") {
    return "bigint";
  }
  if (typname == "text" || typname == "varchar") {
    return "text";
  }
  if (typname == "uuid") {
    return "uuid";
  }
  return std::nullopt;
}

std::optional<CatalogColumn> FindColumn(pqxx::work& txn, long table_oid, const std::string& name) {
  const pqxx::result rows = txn.exec_params(
      "SELECT t.typname, a.attnum FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
      table_oid, name);
  if (rows.empty()) {
    return std::nullopt;
  }
  return CatalogColumn{rows[0][0].as<std::string>(), rows[0][1].as<long>()};
}

Result<ColumnInfo> Inspect(pqxx::connection& connection, const ReencryptionOptions& options,
                           bool need_update) {
  pqxx::work txn(connection);
  // "schema.table" or "table"; each part quoted by the server, resolved by to_regclass (through
  // the search_path when no schema is given).
  std::string schema;
  std::string table = options.table;
  if (const std::size_t dot = table.find('.'); dot != std::string::npos) {
    schema = table.substr(0, dot);
    table = table.substr(dot + 1);
  }
  const pqxx::result tables = txn.exec_params(
      "SELECT c.oid::bigint, n.nspname, c.relname FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.oid = to_regclass(CASE WHEN $1 = '' THEN quote_ident($2) "
      "ELSE quote_ident($1) || '.' || quote_ident($2) END) AND c.relkind IN ('r', 'p')",
      schema, table);
  if (tables.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no table '" + options.table + "'");
  }
  const long oid = tables[0][0].as<long>();
  ColumnInfo info;
  info.quoted_table = txn.quote_name(tables[0][1].as<std::string>()) + "." +
                      txn.quote_name(tables[0][2].as<std::string>());
  info.quoted_column = txn.quote_name(options.column);
  info.quoted_id = txn.quote_name(options.id_column);

  const auto column = FindColumn(txn, oid, options.column);
  if (!column) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "table '" + options.table + "' has no column '" + options.column + "'");
  }
  if (column->type_name == "text" || column->type_name == "varchar") {
    info.kind = CipherColumnKind::kText;
  } else if (column->type_name == "bytea") {
    info.kind = CipherColumnKind::kBytea;
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "column '" + options.column + "' is of type " + column->type_name +
                         ": ciphertexts are stored in TEXT (ls1: form) or BYTEA columns");
  }
  const auto id = FindColumn(txn, oid, options.id_column);
  if (!id) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "table '" + options.table + "' has no id column '" + options.id_column + "'");
  }
  const auto id_type = IdSqlType(id->type_name);
  if (!id_type) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "id column '" + options.id_column + "' is of type " + id->type_name +
                         ": supported are smallint, integer, bigint, text, varchar and uuid");
  }
  info.id_type = *id_type;
  // Paging by id is only exact when ids are unique (and not NULL-able duplicates of each other).
  const pqxx::row unique = txn.exec_params1(
      "SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = $1::oid AND i.indisunique "
      "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 1 "
      "AND i.indkey[0] = $2::int2)",
      oid, id->attnum);
  if (!unique[0].as<bool>()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "id column '" + options.id_column +
                         "' has no unique index of its own (a primary key or UNIQUE): the job "
                         "pages by it");
  }
  const pqxx::row privileges = txn.exec_params1(
      "SELECT has_column_privilege($1::oid, $2, 'SELECT') "
      "AND has_column_privilege($1::oid, $3, 'SELECT'), "
      "has_column_privilege($1::oid, $2, 'UPDATE')",
      oid, options.column, options.id_column);
  if (!privileges[0].as<bool>()) {
    return MakeError(ErrorCode::kPermissionDenied, "the role may not read '" + options.column +
                                                       "' and '" + options.id_column + "' of '" +
                                                       options.table + "'");
  }
  if (need_update && !privileges[1].as<bool>()) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the role may not update '" + options.column + "' of '" + options.table + "'");
  }
  txn.commit();
  return info;
}

}  // namespace

Result<ColumnInfo> InspectColumn(pqxx::connection& connection, const ReencryptionOptions& options,
                                 bool need_update) {
  return GuardPg("reading the catalogue",
                 [&]() -> Result<ColumnInfo> { return Inspect(connection, options, need_update); });
}

}  // namespace locksmith::internal
