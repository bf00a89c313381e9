#include "pg/pg_connection.h"

#include <openssl/crypto.h>

#include <cstring>

#include "pg/pg_status.h"

namespace locksmith::internal {
namespace {

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

void DropNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

Result<PgConnection> PgConnection::Connect(const PgConnParams& params, std::string_view doing) {
  const std::vector<const char*> keywords = params.Keywords();
  const std::vector<const char*> values = params.Values();
  PgConnection connection(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0));
  if (!connection.conn_) {
    return MakeError(ErrorCode::kInternal, std::string(doing) + ": out of memory");
  }
  if (PQstatus(connection.conn_.get()) != CONNECTION_OK) {
    if (PQconnectionNeedsPassword(connection.conn_.get()) != 0) {
      return MakeError(ErrorCode::kUnauthenticated,
                       std::string(doing) + ": the server asks for a password and none was given");
    }
    return PgErrorFromConnectionFailure(doing, PQerrorMessage(connection.conn_.get()));
  }
  PQsetNoticeProcessor(connection.conn_.get(), DropNotice, nullptr);
  return connection;
}

Error PgConnection::FailedResult(const PGresult* result, std::string_view doing) const {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr && PQstatus(conn_.get()) == CONNECTION_BAD) {
    return PgErrorFromConnectionFailure(doing, PQerrorMessage(conn_.get()));
  }
  return PgErrorFromSqlState(doing, state == nullptr ? "" : state);
}

Result<void> PgConnection::Exec(std::string_view sql, std::string_view doing) {
  ResultPtr result(PQexec(conn_.get(), std::string(sql).c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return FailedResult(result.get(), doing);
  }
  return {};
}

Result<std::optional<std::string>> PgConnection::QueryValue(std::string_view sql,
                                                            const std::vector<std::string>& params,
                                                            std::string_view doing) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) {
    values.push_back(param.c_str());
  }
  ResultPtr result(PQexecParams(conn_.get(), std::string(sql).c_str(),
                                static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                nullptr, /*resultFormat=*/0));
  if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return FailedResult(result.get(), doing);
  }
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0 ||
      PQgetisnull(result.get(), 0, 0) != 0) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(PQgetvalue(result.get(), 0, 0));
}

Result<std::string> PgConnection::QuoteIdentifier(std::string_view name) {
  char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
  if (quoted == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the role name is not valid in the connection's encoding");
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

Result<std::string> PgConnection::QuoteLiteral(std::string_view text) {
  char* quoted = PQescapeLiteral(conn_.get(), text.data(), text.size());
  if (quoted == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a value is not valid in the connection's encoding");
  }
  std::string out(quoted);
  OPENSSL_cleanse(quoted, out.size());
  PQfreemem(quoted);
  return out;
}

Result<SecretValue> PgConnection::ScramVerifier(const SecretValue& password,
                                                std::string_view user) {
  if (password.empty() || password.RevealUnsafe().find('\0') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "the new password is empty or holds a NUL byte");
  }
  std::string plain(password.RevealUnsafe());
  const std::string user_text(user);
  char* verifier =
      PQencryptPasswordConn(conn_.get(), plain.c_str(), user_text.c_str(), "scram-sha-256");
  OPENSSL_cleanse(plain.data(), plain.size());
  if (verifier == nullptr) {
    // libpq's message says why (out of memory, unknown algorithm); it never holds the password,
    // but is not needed either.
    return MakeError(ErrorCode::kInternal, "computing the SCRAM-SHA-256 password verifier failed");
  }
  SecretValue out(std::string_view(verifier, std::strlen(verifier)));
  OPENSSL_cleanse(verifier, std::strlen(verifier));
  PQfreemem(verifier);
  return out;
}

}  // namespace locksmith::internal
