// One libpq connection, for code that needs what libpqxx 6.4 does not give (the PGconn, for
// PQencryptPasswordConn). Every failure is an Error through pg/pg_status.h: the SQLSTATE, never
// the server's text or the connection string. Server notices are dropped, not printed.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "pg/conn_params.h"

namespace locksmith::internal {

class PgConnection {
 public:
  // Connects (PQconnectdbParams, no DSN expansion). `doing` starts every error message.
  // kUnauthenticated when the server refused the credentials (or asked for a password none was
  // given for), kPermissionDenied when the role may not connect, kUnavailable otherwise.
  static Result<PgConnection> Connect(const PgConnParams& params, std::string_view doing);

  // A statement without parameters and without a result.
  Result<void> Exec(std::string_view sql, std::string_view doing);
  // The first column of the first row of a query with text parameters ($1, $2, ...); nullopt
  // when it returns no row (or NULL).
  Result<std::optional<std::string>> QueryValue(std::string_view sql,
                                                const std::vector<std::string>& params,
                                                std::string_view doing);

  // Identifier and literal quoting by the connection's encoding (PQescapeIdentifier/Literal).
  Result<std::string> QuoteIdentifier(std::string_view name);
  Result<std::string> QuoteLiteral(std::string_view text);

  // The SCRAM-SHA-256 verifier of `password` for `user`, computed here in the client
  // (PQencryptPasswordConn): what `ALTER ROLE ... PASSWORD` stores, so the password itself never
  // reaches the server, its statement log or pg_stat_activity.
  Result<SecretValue> ScramVerifier(const SecretValue& password, std::string_view user);

 private:
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  Error FailedResult(const PGresult* result, std::string_view doing) const;

  std::unique_ptr<PGconn, Finish> conn_;
};

}  // namespace locksmith::internal
