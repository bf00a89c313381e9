#include "reencrypt/pg_error.h"

#include <pqxx/except>
#include <string>

#include "pg/pg_status.h"

namespace locksmith::internal {

Error CurrentPgError(std::string_view doing) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    return PgErrorFromSqlState(doing, e.sqlstate());
  } catch (const pqxx::broken_connection& e) {
    return PgErrorFromConnectionFailure(doing, e.what());
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
