// The database and Redis credentials as the service reads them from its secrets: either JSON, as
// AWS's rotation templates store them ({"username","password","host","port","dbname"} for the
// database, {"username","password"} for Redis), or a bare password, the rest coming from flags.
// Parse errors never quote the secret (a JSON parser's message would).
#pragma once

#include <string>
#include <string_view>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace rotating_service {

// What the flags say, used for every field the secret does not carry.
struct DbDefaults {
  std::string host;  // a host name or a unix socket directory
  std::string port;
  std::string dbname;
  std::string username;
};

struct DbCredential {
  std::string username;
  locksmith::SecretValue password;
  std::string host;
  std::string port;
  std::string dbname;
};

struct RedisCredential {
  std::string username;
  locksmith::SecretValue password;
};

// `name` is the secret's name, for error messages.
locksmith::Result<DbCredential> ParseDbCredential(std::string_view name,
                                                  const locksmith::SecretValue& secret,
                                                  const DbDefaults& defaults);
locksmith::Result<RedisCredential> ParseRedisCredential(std::string_view name,
                                                        const locksmith::SecretValue& secret,
                                                        std::string_view default_username);

// Overwrites a std::string holding secret bytes (a connection string, a JSON copy) before it is
// freed.
void WipeString(std::string& s);

}  // namespace rotating_service
