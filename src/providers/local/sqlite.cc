#include "providers/local/sqlite.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace locksmith::internal {

Error SqliteError(sqlite3* db, int rc, std::string_view what, int os_errno) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      code = ErrorCode::kUnavailable;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = ErrorCode::kDataLoss;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = ErrorCode::kPermissionDenied;
      break;
    case SQLITE_CONSTRAINT:
      code = ErrorCode::kAborted;
      break;
    default:
      break;
  }
  std::string message = "local store: ";
  message += what;
  message += ": ";
  // sqlite3_errmsg describes the last failure on `db` (it never quotes bound parameters); the
  // generic text is the fallback when there is no connection or it was about something else.
  const char* detail =
      db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += detail != nullptr ? detail : "unknown SQLite error";
  // SQLite reports a write that hit a full disk or the file size limit (RLIMIT_FSIZE, a quota)
  // as a plain "disk I/O error" (SQLITE_IOERR_WRITE; sqlite3_system_errno is often 0 by then):
  // name the cause the operating system gave.
  const int primary = rc & 0xff;
  const int system_errno =
      os_errno != 0 ? os_errno : (db != nullptr ? sqlite3_system_errno(db) : 0);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) &&
      system_errno != 0) {
    const bool full = system_errno == ENOSPC || system_errno == EFBIG || system_errno == EDQUOT;
    message += full ? " (disk full: " : " (";
    message += std::strerror(system_errno);
    message += ")";
  }
  return MakeError(code, std::move(message));
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

Result<void> SqliteStatement::Bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, "binding a parameter");
  }
  return OkResult();
}

Result<void> SqliteStatement::Bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, "binding a parameter");
  }
  return OkResult();
}

Result<void> SqliteStatement::Bind(int index, std::span<const std::uint8_t> blob) {
  // A zero-length blob with a null pointer would bind NULL; bind an empty non-null blob instead.
  static const std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, blob.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, "binding a parameter");
  }
  return OkResult();
}

Result<bool> SqliteStatement::Step() {
  errno = 0;
  int rc = sqlite3_step(stmt_);
  const int os_errno = errno;
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return SqliteError(db_, rc, "running a statement", os_errno);
}

Result<void> SqliteStatement::Run() {
  while (true) {
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) {
      return OkResult();
    }
  }
}

std::int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view SqliteStatement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::span<const std::uint8_t> SqliteStatement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr) {
    return {};
  }
  return {static_cast<const std::uint8_t*>(blob), static_cast<std::size_t>(size)};
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db, rc, "cannot open '" + path.string() + "'");
    sqlite3_close_v2(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(db));
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

Result<void> SqliteDatabase::Exec(const char* sql) {
  errno = 0;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  const int os_errno = errno;
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, "running a statement", os_errno);
  }
  return OkResult();
}

Result<SqliteStatement> SqliteDatabase::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db_, rc, "preparing a statement");
  }
  return SqliteStatement(db_, stmt);
}

std::int64_t SqliteDatabase::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDatabase& db, Mode mode) {
  LOCKSMITH_RETURN_IF_ERROR(db.Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return SqliteTransaction(&db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  if (db_ != nullptr && sqlite3_get_autocommit(db_->handle()) == 0) {
    // Best effort: a failed rollback leaves SQLite to roll back when the connection closes or
    // the next transaction begins; the caller already has the error that got us here.
    sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<void> SqliteTransaction::Commit() {
  SqliteDatabase* db = db_;
  auto committed = db->Exec("COMMIT");
  if (committed.ok()) {
    db_ = nullptr;
  }
  return committed;
}

}  // namespace locksmith::internal
