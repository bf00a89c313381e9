// PostgreSQL failures as locksmith errors, shared by every component that talks to PostgreSQL
// (the re-encryption job through libpqxx, credential rotation through libpq). Messages name what
// the caller was doing and the SQLSTATE, never the server's text: that can quote row values
// ("Failing row contains ...") or the connection string.
#pragma once

#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// An error the server reported with a SQLSTATE (42501 -> kPermissionDenied, 28xxx ->
// kUnauthenticated, 08xxx -> kUnavailable, ...; unknown states -> kInternal).
Error PgErrorFromSqlState(std::string_view doing, std::string_view sqlstate);

// A connection that failed or broke: it carries no SQLSTATE, so libpq's text (read, never
// repeated: it may quote the DSN) tells refused credentials from an unreachable server.
Error PgErrorFromConnectionFailure(std::string_view doing, std::string_view libpq_text);

}  // namespace locksmith::internal
