#include "cli/credential_rotate_command.h"

#include <memory>
#include <ostream>

#include "cli/connection_argument.h"
#include "core/time_format.h"
#include "locksmith/credential_rotation.h"
#include "locksmith/duration.h"
#include "locksmith/postgres_credential_server.h"
#include "locksmith/redis_credential_server.h"
#include "reencrypt/dsn_check.h"

namespace locksmith {
namespace {

Result<std::unique_ptr<CredentialServer>> MakePostgres(const CredentialRotateOptions& options,
                                                       const EnvLookup& env) {
  const ConnectionArgument spec{
      "--postgres", "--postgres-env",
      [](std::string_view dsn) { return internal::DsnHasPassword(dsn); },
      "put the admin password in ~/.pgpass (or PGPASSWORD), or the whole DSN in a variable "
      "named by --postgres-env"};
  LOCKSMITH_ASSIGN_OR_RETURN(
      std::optional<SecretValue> dsn,
      ResolveConnectionArgument(spec, options.postgres, options.postgres_env, env));
  PostgresCredentialServerOptions server;
  if (options.strategy == "alternating-users") {
    server.strategy = PostgresRotationStrategy::kAlternatingUsers;
  } else if (options.strategy != "single-user") {
    return MakeError(ErrorCode::kInvalidArgument, "--strategy is single-user or alternating-users");
  }
  return MakePostgresCredentialServer(std::move(*dsn), server);
}

Result<std::unique_ptr<CredentialServer>> MakeRedis(const CredentialRotateOptions& options,
                                                    const EnvLookup& env) {
  const ConnectionArgument spec{
      "--redis", "--redis-env",
      [](std::string_view url) -> Result<bool> {
        LOCKSMITH_ASSIGN_OR_RETURN(RedisCredentialServerOptions parsed, ParseRedisUrl(url));
        return parsed.admin_password.size() > 0;
      },
      "put the admin password in REDISCLI_AUTH, or the whole URL in a variable named by "
      "--redis-env"};
  LOCKSMITH_ASSIGN_OR_RETURN(
      std::optional<SecretValue> url,
      ResolveConnectionArgument(spec, options.redis, options.redis_env, env));
  LOCKSMITH_ASSIGN_OR_RETURN(RedisCredentialServerOptions server,
                             ParseRedisUrl(url->RevealUnsafe()));
  if (server.admin_password.size() == 0) {
    // As redis-cli: the password may come from REDISCLI_AUTH.
    if (std::optional<std::string> auth = env("REDISCLI_AUTH"); auth && !auth->empty()) {
      server.admin_password = SecretValue(*auth);
      std::fill(auth->begin(), auth->end(), '\0');
    }
  }
  return MakeRedisCredentialServer(std::move(server));
}

}  // namespace

Result<void> CredentialRotateCommand(SecretsManager& manager, std::string_view name,
                                     const CredentialRotateOptions& options, const EnvLookup& env,
                                     Random& random, Clock& clock, std::ostream& out,
                                     std::ostream& err) {
  const bool postgres = options.postgres || options.postgres_env;
  const bool redis = options.redis || options.redis_env;
  if (postgres == redis) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "give the server to rotate the credential on: --postgres/--postgres-env or "
                     "--redis/--redis-env (one of them)");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(std::chrono::milliseconds retire_after,
                             ParseDuration(options.retire_after));
  LOCKSMITH_ASSIGN_OR_RETURN(std::unique_ptr<CredentialServer> server,
                             postgres ? MakePostgres(options, env) : MakeRedis(options, env));
  CredentialRotationOptions rotation;
  rotation.username = options.user;
  rotation.retire_after = std::chrono::duration_cast<std::chrono::seconds>(retire_after);
  rotation.wait_to_retire = !options.no_wait;
  rotation.before_step = [&](RotationStep step) {
    err << "rotate " << name << " (" << server->Kind() << "): " << RotationStepName(step);
    if (step == RotationStep::kRetire) {
      err << " the previous password";
    }
    err << "\n";
    err.flush();
    return true;
  };
  rotation.before_retire_wait = [&](std::chrono::system_clock::time_point retire_at) {
    err << "rotate " << name << ": promoted; waiting until "
        << internal::FormatRfc3339Utc(retire_at)
        << " to retire the previous password (an interrupted wait is safe: run this command "
        << "again)\n";
    err.flush();
  };
  LOCKSMITH_ASSIGN_OR_RETURN(CredentialRotationReport report,
                             RotateCredential(manager, name, *server, random, clock, rotation));
  if (report.resumed) {
    err << "rotate " << name << ": finished the rotation an earlier run left half-done; run again "
        << "to rotate anew\n";
  }
  if (report.retire_at != std::chrono::system_clock::time_point{}) {
    err << "rotate " << name << ": the previous password stays valid until retired: run this "
        << "command again after " << internal::FormatRfc3339Utc(report.retire_at) << "\n";
  }
  out << report.version_id << " " << report.username << "\n";
  out.flush();
  return OkResult();
}

}  // namespace locksmith
