// PostgresCredentialServer: CredentialServer over libpq (locksmith/postgres_credential_server.h).
// One admin connection per call: rotations are rare, and a connection held between steps would
// be one more thing a crash or a server restart breaks.
#include "locksmith/postgres_credential_server.h"

#include <openssl/crypto.h>

#include <optional>
#include <string>
#include <utility>

#include "pg/conn_params.h"
#include "pg/pg_connection.h"
#include "rotation/postgres/role_names.h"

namespace locksmith {
namespace {

using internal::PgConnection;
using internal::PgConnParams;

// Without one, libpq waits for an unreachable host as long as the operating system does.
constexpr const char* kDefaultConnectTimeoutSeconds = "10";

void WipeStatementText(std::string& text) { OPENSSL_cleanse(text.data(), text.size()); }

class PostgresCredentialServer final : public CredentialServer {
 public:
  PostgresCredentialServer(PgConnParams admin, PostgresCredentialServerOptions options)
      : admin_(std::move(admin)), options_(std::move(options)) {}

  std::string_view Kind() const override { return "postgres"; }

  Result<std::string> NextUsername(const Credential& current) override {
    if (options_.strategy == PostgresRotationStrategy::kAlternatingUsers) {
      return internal::AlternateRole(current.username, options_.clone_suffix);
    }
    if (auto checked = internal::CheckRoleName(current.username); !checked.ok()) {
      return checked.error();
    }
    return current.username;
  }

  Result<void> Set(const Credential& /*current*/, const Credential& pending) override {
    const std::string& role = pending.username;
    if (auto checked = internal::CheckRoleName(role); !checked.ok()) {
      return checked.error();
    }
    auto conn = PgConnection::Connect(admin_, "postgres: connecting with the admin DSN");
    if (!conn.ok()) {
      return conn.error();
    }
    auto verifier = conn->ScramVerifier(pending.password, role);
    if (!verifier.ok()) {
      return verifier.error();
    }
    auto quoted_role = conn->QuoteIdentifier(role);
    if (!quoted_role.ok()) {
      return quoted_role.error();
    }
    auto quoted_verifier = conn->QuoteLiteral(verifier->RevealUnsafe());
    if (!quoted_verifier.ok()) {
      return quoted_verifier.error();
    }
    const std::string doing =
        "postgres: setting the password of role " + internal::RoleForMessage(role);
    // One transaction: a crash leaves either nothing or the whole change (CREATE ROLE, GRANT and
    // ALTER ROLE are transactional in PostgreSQL), and a rerun does the same again.
    if (auto r = conn->Exec("BEGIN", doing); !r.ok()) {
      return r;
    }
    auto exists = RoleExists(*conn, role, doing);
    if (!exists.ok()) {
      return exists.error();
    }
    const std::optional<std::string> base =
        options_.strategy == PostgresRotationStrategy::kAlternatingUsers
            ? internal::CloneBase(role, options_.clone_suffix)
            : std::nullopt;
    if (!*exists && !base) {
      return MakeError(ErrorCode::kNotFound, "postgres: role " + internal::RoleForMessage(role) +
                                                 " does not exist (create it first)");
    }
    std::string statement;
    if (!*exists) {
      auto quoted_base = conn->QuoteIdentifier(*base);
      if (!quoted_base.ok()) {
        return quoted_base.error();
      }
      // The clone logs in and inherits every privilege of the original role through membership,
      // as AWS's multi-user rotation does (GRANT original TO clone).
      statement = "CREATE ROLE " + *quoted_role + " WITH LOGIN INHERIT PASSWORD " +
                  *quoted_verifier + " IN ROLE " + *quoted_base;
    } else {
      if (base) {
        if (auto r = EnsureInherits(*conn, role, *base, *quoted_role, doing); !r.ok()) {
          return r;
        }
      }
      statement = "ALTER ROLE " + *quoted_role + " WITH PASSWORD " + *quoted_verifier;
    }
    auto done = conn->Exec(statement, doing);
    // The statement holds only the verifier, but it is wiped all the same.
    WipeStatementText(statement);
    WipeStatementText(*quoted_verifier);
    if (!done.ok()) {
      return done;
    }
    return conn->Exec("COMMIT", doing);
  }

  Result<void> Test(const Credential& pending) override {
    if (auto checked = internal::CheckRoleName(pending.username); !checked.ok()) {
      return checked.error();
    }
    PgConnParams params = admin_.Clone();
    params.Set("user", pending.username);
    params.Set("password", pending.password.RevealUnsafe());
    const std::string doing =
        "postgres: logging in as role " + internal::RoleForMessage(pending.username);
    auto conn = PgConnection::Connect(params, doing);
    if (!conn.ok()) {
      return conn.error();
    }
    return conn->Exec("SELECT 1", doing);
  }

  // A PostgreSQL role has one password: nothing of the previous credential is left to end.
  // Single user: it stopped working at Set. Alternating users: the previous role keeps its
  // password until the rotation after this one sets a new one (as AWS's multi-user rotation).
  Result<bool> PreviousStillValid(const Credential& /*previous*/,
                                  const Credential& /*current*/) override {
    return false;
  }
  Result<void> RetirePrevious(const Credential& /*previous*/,
                              const Credential& /*current*/) override {
    return {};
  }

 private:
  static Result<bool> RoleExists(PgConnection& conn, const std::string& role,
                                 std::string_view doing) {
    auto found =
        conn.QueryValue("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {role}, doing);
    if (!found.ok()) {
      return found.error();
    }
    return found->has_value();
  }

  // An existing clone (an earlier rotation's, or made by hand) must hold the original role's
  // privileges; it is granted membership when it does not, and refused when even that does not
  // give them (a NOINHERIT role).
  static Result<void> EnsureInherits(PgConnection& conn, const std::string& role,
                                     const std::string& base, const std::string& quoted_role,
                                     std::string_view doing) {
    constexpr const char* kInherits = "SELECT pg_catalog.pg_has_role($1, $2, 'USAGE')";
    auto inherits = conn.QueryValue(kInherits, {role, base}, doing);
    if (!inherits.ok()) {
      return inherits.error();
    }
    if (*inherits == "t") {
      return {};
    }
    auto quoted_base = conn.QuoteIdentifier(base);
    if (!quoted_base.ok()) {
      return quoted_base.error();
    }
    if (auto r = conn.Exec("GRANT " + *quoted_base + " TO " + quoted_role, doing); !r.ok()) {
      return r;
    }
    inherits = conn.QueryValue(kInherits, {role, base}, doing);
    if (!inherits.ok()) {
      return inherits.error();
    }
    if (*inherits != "t") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "postgres: role " + internal::RoleForMessage(role) +
                           " exists but does not inherit the privileges of " +
                           internal::RoleForMessage(base) + " (ALTER ROLE ... INHERIT)");
    }
    return {};
  }

  PgConnParams admin_;
  PostgresCredentialServerOptions options_;
};

}  // namespace

Result<std::unique_ptr<CredentialServer>> MakePostgresCredentialServer(
    SecretValue admin_dsn, PostgresCredentialServerOptions options) {
  auto admin = internal::PgConnParams::Parse(admin_dsn);
  if (!admin.ok()) {
    return MakeError(admin.error().code, "postgres admin DSN: " + admin.error().message);
  }
  if (options.strategy == PostgresRotationStrategy::kAlternatingUsers &&
      options.clone_suffix.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "postgres: alternating users need a non-empty clone suffix");
  }
  admin->SetDefault("connect_timeout", kDefaultConnectTimeoutSeconds);
  return std::unique_ptr<CredentialServer>(
      new PostgresCredentialServer(std::move(*admin), std::move(options)));
}

}  // namespace locksmith
