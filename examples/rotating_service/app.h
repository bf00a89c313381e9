// App: the service's endpoints, independent of HTTP plumbing (http_server.h feeds it requests).
//   POST /users {"email"}  -> {"id"}            the email stored encrypted with the key ring
//   POST /login {"user_id"} -> {"token"}        a JWT for that user, 10 minutes
//   GET  /me  (Authorization: Bearer <jwt>) -> {"id","email"}
//   POST /count             -> {"count"}        INCR in Redis
//   GET  /healthz           -> {"pid", key ids} key ids are public (they prefix ciphertexts)
// Errors: {"error":{"code","message"}} with a stable code; never a secret, token or email.
// Thread-safe: handlers share only thread-safe objects.
#pragma once

#include <chrono>
#include <string>

#include "locksmith/encryption_key_ring.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/result.h"
#include "pg_pool.h"
#include "redis_client.h"

namespace rotating_service {

struct Request {
  std::string method;
  std::string path;           // without the query string
  std::string authorization;  // the Authorization header, if any
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;  // JSON
};

class App {
 public:
  // Every dependency must outlive the app.
  App(locksmith::JwtKeyRing& jwt, locksmith::EncryptionKeyRing& keys, PgPool& db,
      RedisClient& redis, std::chrono::seconds token_ttl = std::chrono::minutes(10));

  // Creates the users table if it is missing.
  static locksmith::Result<void> Migrate(PgPool& db);

  Response Handle(const Request& request);

 private:
  Response CreateUser(const Request& request);
  Response Login(const Request& request);
  Response Me(const Request& request);
  Response Count();
  Response Health();

  locksmith::JwtKeyRing& jwt_;
  locksmith::EncryptionKeyRing& keys_;
  PgPool& db_;
  RedisClient& redis_;
  const std::chrono::seconds token_ttl_;
};

}  // namespace rotating_service
