#include "reencrypt/pg_error.h"

#include <pqxx/except>
#include <string>

namespace locksmith::internal {
namespace {

struct SqlStateClass {
  std::string_view prefix;
  ErrorCode code;
  std::string_view what;
};

// Longest prefixes first.
constexpr SqlStateClass kSqlStateClasses[] = {
    {"42501", ErrorCode::kPermissionDenied, "permission denied"},
    {"42P01", ErrorCode::kInvalidArgument, "no such table"},
    {"42703", ErrorCode::kInvalidArgument, "no such column"},
    {"40001", ErrorCode::kUnavailable, "serialization failure"},
    {"40P01", ErrorCode::kUnavailable, "deadlock detected"},
    {"28", ErrorCode::kUnauthenticated, "authentication failed"},
    {"08", ErrorCode::kUnavailable, "connection failure"},
    {"53", ErrorCode::kUnavailable, "server out of resources"},
    {"57", ErrorCode::kUnavailable, "server shutting down or query canceled"},
    {"55P03", ErrorCode::kUnavailable, "lock not available"},
};

Error FromSqlState(std::string_view doing, const std::string& state) {
  for (const SqlStateClass& c : kSqlStateClasses) {
    if (state.rfind(c.prefix, 0) == 0) {
      return MakeError(
          c.code, std::string(doing) + ": " + std::string(c.what) + " (SQLSTATE " + state + ")");
    }
  }
  return MakeError(ErrorCode::kInternal, std::string(doing) + ": database error (SQLSTATE " +
                                             (state.empty() ? std::string("unknown") : state) +
                                             ")");
}

// A failed connection carries no SQLSTATE; its text (not repeated: it may quote the DSN) tells
// refused credentials from an unreachable server.
Error FromBrokenConnection(std::string_view doing, std::string_view text) {
  if (text.find("authentication failed") != std::string_view::npos ||
      text.find("does not exist") != std::string_view::npos) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(doing) + ": the server refused the credentials or the database");
  }
  if (text.find("permission denied") != std::string_view::npos) {
    return MakeError(ErrorCode::kPermissionDenied,
                     std::string(doing) + ": the role may not connect to the database");
  }
  return MakeError(ErrorCode::kUnavailable,
                   std::string(doing) + ": cannot reach the database or the connection was lost");
}

}  // namespace

Error CurrentPgError(std::string_view doing) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(doing, e.sqlstate());
  } catch (const pqxx::broken_connection& e) {
    return FromBrokenConnection(doing, e.what());
  } catch (const pqxx::in_doubt_error&) {
    return MakeError(ErrorCode::kUnavailable,
                     std::string(doing) + ": connection lost during commit (a rerun settles it)");
  } catch (const pqxx::transaction_rollback&) {
    return MakeError(ErrorCode::kUnavailable, std::string(doing) + ": transaction rolled back");
  } catch (const std::bad_alloc&) {
    return MakeError(ErrorCode::kInternal, std::string(doing) + ": out of memory");
  } catch (...) {
    return MakeError(ErrorCode::kInternal, std::string(doing) + ": unexpected database failure");
  }
}

}  // namespace locksmith::internal
