// Looking inside a libpq connection string (key=value or URI) without connecting: whether it
// parses, and whether it carries a password (which must not travel on a command line).
#pragma once

#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// true when the DSN sets a non-empty password (password=..., postgresql://user:pw@...,
// ?password=...). kInvalidArgument when libpq cannot parse it; the message never quotes it.
Result<bool> DsnHasPassword(std::string_view dsn);

}  // namespace locksmith::internal
