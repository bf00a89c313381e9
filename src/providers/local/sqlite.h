// Thin RAII wrappers over the sqlite3 C API for the local store: a connection, a prepared
// statement with typed binds, and a transaction that rolls back unless committed. SQLite result
// codes become Errors here (busy/locked/cannot open -> kUnavailable, corrupt/not a database ->
// kDataLoss), so the store above never sees a raw result code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "locksmith/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace locksmith::internal {

// The Error for SQLite result code `rc` (extended codes accepted); `what` says what was being
// done. `db` (may be null) adds SQLite's own message, which never contains bound values.
// `os_errno`, errno as the failed call returned, names the cause of an I/O error ("disk full:
// File too large" where SQLite says only "disk I/O error").
Error SqliteError(sqlite3* db, int rc, std::string_view what, int os_errno = 0);

// A prepared statement. Move-only; not thread-safe (guard it with its connection's lock).
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied by SQLite (SQLITE_TRANSIENT).
  Result<void> Bind(int index, std::int64_t value);
  Result<void> Bind(int index, std::string_view text);
  Result<void> Bind(int index, std::span<const std::uint8_t> blob);

  // true: a row is ready to read; false: the statement is done.
  Result<bool> Step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Result<void> Run();

  // Valid until the next Step; columns are 0-based.
  std::int64_t ColumnInt64(int column) const;
  std::string_view ColumnText(int column) const;
  std::span<const std::uint8_t> ColumnBlob(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection. Move-only; not thread-safe (the store holds a mutex around it).
class SqliteDatabase {
 public:
  // Opens (creating if missing) the database at `path` read-write, with extended result codes.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const std::filesystem::path& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Runs one or more statements without parameters (schema, pragmas, BEGIN/COMMIT).
  Result<void> Exec(const char* sql);
  Result<SqliteStatement> Prepare(std::string_view sql);

  // Prepares `sql` and binds `args` to parameters 1..N.
  template <typename... Args>
  Result<SqliteStatement> Query(std::string_view sql, const Args&... args) {
    LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    int index = 0;
    Result<void> bound = OkResult();
    ((bound.ok() ? (void)(bound = stmt.Bind(++index, args)) : (void)0), ...);
    LOCKSMITH_RETURN_IF_ERROR(bound);
    return stmt;
  }

  // Prepares `sql`, binds `args` and runs it to completion (INSERT/UPDATE/DELETE).
  template <typename... Args>
  Result<void> Execute(std::string_view sql, const Args&... args) {
    LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt, Query(sql, args...));
    return stmt.Run();
  }

  // Rowid of the last INSERT on this connection.
  std::int64_t LastInsertRowId() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN [IMMEDIATE] ... COMMIT; rolled back on destruction unless Commit succeeded.
class SqliteTransaction {
 public:
  enum class Mode { kRead, kWrite };  // kWrite takes the write lock up front (BEGIN IMMEDIATE)
  static Result<SqliteTransaction> Begin(SqliteDatabase& db, Mode mode);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  Result<void> Commit();

 private:
  explicit SqliteTransaction(SqliteDatabase* db) : db_(db) {}
  SqliteDatabase* db_;  // null once committed, rolled back or moved from
};

}  // namespace locksmith::internal
