// Options: the service's flags, each with an environment fallback (flag > environment > default).
//   --listen        LISTEN_ADDRESS   127.0.0.1:0 (port 0: any free port; loopback only)
//   --pg-host       PG_HOST          /var/run/postgresql   when the secret has no "host"
//   --pg-port       PG_PORT          5432                  when the secret has no "port"
//   --pg-db         PG_DATABASE      app                   when the secret has no "dbname"
//   --pg-user       PG_USER          app                   when the secret has no "username"
//   --pg-pool-size  PG_POOL_SIZE     4
//   --redis-socket  REDIS_SOCKET     (none)                a unix socket path; wins over host
//   --redis-host    REDIS_HOST       127.0.0.1:6379
//   --redis-user    REDIS_USER       default               when the secret has no "username"
//   --threads       HTTP_THREADS     4
// Secrets come from SecretsManager::FromEnv() (SECRETS_BACKEND, ...: the library's README).
#pragma once

#include <cstdint>
#include <string>

#include "credentials.h"
#include "locksmith/result.h"
#include "redis_client.h"

namespace rotating_service {

struct Options {
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  DbDefaults db;
  std::size_t pg_pool_size = 4;
  RedisEndpoint redis;
  int threads = 4;
};

// Errors: kInvalidArgument naming the flag. `--help` gives kFailedPrecondition with the usage.
locksmith::Result<Options> ParseOptions(int argc, char** argv);

}  // namespace rotating_service
