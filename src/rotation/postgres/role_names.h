// The role names of PostgreSQL credential rotation: which role the next credential belongs to
// under the alternating-users strategy ("app" <-> "app_clone"), and the checks a name passes
// before it goes into a statement. Pure functions, no database.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// PostgreSQL keeps 63 bytes of a name (NAMEDATALEN - 1) and silently cuts longer ones, which
// would make "a_long_name_clone" the same role as another truncated name.
inline constexpr std::size_t kMaxPgRoleNameBytes = 63;

// kInvalidArgument when `role` is empty, longer than kMaxPgRoleNameBytes or holds a NUL byte.
Result<void> CheckRoleName(std::string_view role);

// The original role when `role` is a clone (ends with `suffix` and has something before it).
std::optional<std::string> CloneBase(std::string_view role, std::string_view suffix);

// Alternating users: the other role of the pair. kInvalidArgument for an empty current name, an
// empty suffix, or a result that is not a valid role name.
Result<std::string> AlternateRole(std::string_view current, std::string_view suffix);

// `role` for an error message: as is when made only of [A-Za-z0-9_.-], else "(a role)".
std::string RoleForMessage(std::string_view role);

}  // namespace locksmith::internal
