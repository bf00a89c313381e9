// A libpq connection string taken apart into keyword/value pairs, to connect with
// PQconnectdbParams: a caller changes the user and password by keyword instead of pasting strings
// into a DSN (where a quote or a space in a value would change its meaning). Values live in
// SecretValue (the DSN may hold a password) and are wiped with the object.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

class PgConnParams {
 public:
  // Parses a key=value string or a postgresql:// URI (PQconninfoParse). kInvalidArgument when
  // libpq cannot parse it; the message never quotes it.
  static Result<PgConnParams> Parse(const SecretValue& dsn);

  PgConnParams Clone() const;

  // Replaces `keyword`'s value, or adds it.
  void Set(std::string_view keyword, std::string_view value);
  // Adds `keyword` only if the DSN did not set it.
  void SetDefault(std::string_view keyword, std::string_view value);
  // Empty when unset.
  std::string_view Get(std::string_view keyword) const;

  // NULL-terminated arrays for PQconnectdbParams (expand_dbname = 0), valid while this object
  // lives and is not changed.
  std::vector<const char*> Keywords() const;
  std::vector<const char*> Values() const;

 private:
  // Each value carries a terminating NUL inside the SecretValue, so libpq can read it in place.
  std::vector<std::pair<std::string, SecretValue>> entries_;
};

}  // namespace locksmith::internal
