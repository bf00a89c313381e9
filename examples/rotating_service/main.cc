// rotating_service: an example HTTP service whose every secret rotates without a restart.
// This file only wires the pieces together; see README.md for what each one does on a rotation.
#include <csignal>
#include <cstdio>
#include <memory>

#include "app.h"
#include "http_server.h"
#include "locksmith/clock.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"
#include "log.h"
#include "options.h"
#include "pg_pool.h"
#include "redis_client.h"
#include "rotation_log.h"

namespace {

int Fail(const char* step, const locksmith::Error& error) {
  rotating_service::Log(std::string(step) + ": " + error.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rotating_service;
  // A write to a connection the peer closed (hiredis writes with write(2)) must fail, not kill.
  std::signal(SIGPIPE, SIG_IGN);
  auto options = ParseOptions(argc, argv);
  if (!options.ok()) {
    if (options.error().code == locksmith::ErrorCode::kFailedPrecondition) {
      std::fputs(options.error().message.c_str(), stdout);
      return 0;
    }
    return Fail("flags", options.error());
  }

  auto secrets = locksmith::SecretsManager::FromEnv();
  if (!secrets.ok()) {
    return Fail("secrets configuration", secrets.error());
  }
  locksmith::SecretsManager& manager = **secrets;

  // Both rings subscribe to their secret: a rotation rebuilds them in place.
  auto jwt = locksmith::JwtKeyRing::Create(manager, "jwt-secret", {}, locksmith::SystemClock());
  if (!jwt.ok()) {
    return Fail("jwt-secret", jwt.error());
  }
  auto keys = locksmith::EncryptionKeyRing::Create(manager, "db-encryption-key", {},
                                                   locksmith::SystemRandom(), &manager.metrics());
  if (!keys.ok()) {
    return Fail("db-encryption-key", keys.error());
  }
  auto db =
      PgPool::Create(manager, "database-password", options->db, {.size = options->pg_pool_size});
  if (!db.ok()) {
    return Fail("database", db.error());
  }
  if (auto migrated = App::Migrate(**db); !migrated.ok()) {
    return Fail("database", migrated.error());
  }
  auto redis = RedisClient::Create(manager, "redis-password", options->redis);
  if (!redis.ok()) {
    return Fail("redis", redis.error());
  }

  RotationLog rotation_log(
      manager, {"jwt-secret", "db-encryption-key", "database-password", "redis-password"});

  App app(**jwt, **keys, **db, **redis);
  auto server = HttpServer::Start(
      options->listen_address, options->listen_port,
      [&app](const Request& request) { return app.Handle(request); }, options->threads);
  if (!server.ok()) {
    return Fail("http", server.error());
  }
  // The one line on stdout: scripts read the port from it.
  std::printf("listening on %s:%u\n", options->listen_address.c_str(),
              static_cast<unsigned>((*server)->port()));
  std::fflush(stdout);
  (*server)->WaitForSignal();
  Log("stopping");
  return 0;
}
