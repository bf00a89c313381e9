#include "pg/pg_status.h"

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
    {"42704", ErrorCode::kNotFound, "no such role or object"},
    {"42710", ErrorCode::kAlreadyExists, "the role or object already exists"},
    {"40001", ErrorCode::kUnavailable, "serialization failure"},
    {"40P01", ErrorCode::kUnavailable, "deadlock detected"},
    {"28", ErrorCode::kUnauthenticated, "authentication failed"},
    {"08", ErrorCode::kUnavailable, "connection failure"},
    {"53", ErrorCode::kUnavailable, "server out of resources"},
    {"57", ErrorCode::kUnavailable, "server shutting down or query canceled"},
    {"55P03", ErrorCode::kUnavailable, "lock not available"},
};

}  // namespace

Error PgErrorFromSqlState(std::string_view doing, std::string_view sqlstate) {
  const std::string state(sqlstate);
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

Error PgErrorFromConnectionFailure(std::string_view doing, std::string_view libpq_text) {
  if (libpq_text.find("authentication failed") != std::string_view::npos ||
      libpq_text.find("does not exist") != std::string_view::npos ||
      libpq_text.find("no password supplied") != std::string_view::npos) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(doing) + ": the server refused the credentials or the database");
  }
  if (libpq_text.find("permission denied") != std::string_view::npos) {
    return MakeError(ErrorCode::kPermissionDenied,
                     std::string(doing) + ": the role may not connect to the database");
  }
  return MakeError(ErrorCode::kUnavailable,
                   std::string(doing) + ": cannot reach the database or the connection was lost");
}

}  // namespace locksmith::internal
