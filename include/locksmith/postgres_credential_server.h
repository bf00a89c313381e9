// The PostgreSQL side of credential rotation (locksmith/credential_rotation.h): sets a role's
// password with ALTER ROLE, either one role whose password changes (single user) or two roles
// used in turn, "app" and "app_clone" (alternating users, as AWS's multi-user rotation does), so
// that the previous credential keeps working until the rotation after. The new password never
// reaches the server: the statement carries its SCRAM-SHA-256 verifier, computed in the client.
// docs/credential-rotation.md#postgresql.
#pragma once

#include <memory>
#include <string>

#include "locksmith/credential_rotation.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

enum class PostgresRotationStrategy {
  // One role; its password changes at Set, so the previous password stops working there
  // (clients reconnect with the new one on an authentication failure).
  kSingleUser,
  // Two roles, "<name>" and "<name><clone_suffix>", each rotation setting the one not in use; the
  // clone is created at the first rotation as a member of the original role (inheriting its
  // privileges), so either can do what the application does.
  kAlternatingUsers,
};

struct PostgresCredentialServerOptions {
  PostgresRotationStrategy strategy = PostgresRotationStrategy::kSingleUser;
  // Alternating users: "app" <-> "app_clone" (AWS's naming). Must not be empty.
  std::string clone_suffix = "_clone";
};

// `admin_dsn`: a libpq connection string or URI (it may hold a password, hence SecretValue) of a
// role allowed to ALTER ROLE the application's roles (superuser or CREATEROLE; for alternating
// users also CREATE ROLE and to grant membership in the original role). Parsed here, not
// connected to: kInvalidArgument when malformed (the message never quotes it). Test logs in with
// the same host, port, database and TLS settings and the pending user and password.
Result<std::unique_ptr<CredentialServer>> MakePostgresCredentialServer(
    SecretValue admin_dsn, PostgresCredentialServerOptions options = {});

}  // namespace locksmith
