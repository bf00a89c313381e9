#include "rotation/postgres/role_names.h"

namespace locksmith::internal {

Result<void> CheckRoleName(std::string_view role) {
  if (role.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "postgres: the credential names no user (the secret must hold \"username\" "
                     "or the rotation be given one)");
  }
  if (role.size() > kMaxPgRoleNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "postgres: a role name is longer than PostgreSQL's 63 bytes");
  }
  if (role.find('\0') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "postgres: a role name holds a NUL byte");
  }
  return {};
}

std::optional<std::string> CloneBase(std::string_view role, std::string_view suffix) {
  if (suffix.empty() || role.size() <= suffix.size() ||
      role.substr(role.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  return std::string(role.substr(0, role.size() - suffix.size()));
}

Result<std::string> AlternateRole(std::string_view current, std::string_view suffix) {
  if (suffix.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "postgres: alternating users need a non-empty clone suffix");
  }
  if (auto checked = CheckRoleName(current); !checked.ok()) {
    return checked.error();
  }
  std::string next;
  if (auto base = CloneBase(current, suffix)) {
    next = std::move(*base);
  } else {
    next = std::string(current) + std::string(suffix);
  }
  if (auto checked = CheckRoleName(next); !checked.ok()) {
    return checked.error();
  }
  return next;
}

std::string RoleForMessage(std::string_view role) {
  if (role.empty() || role.size() > kMaxPgRoleNameBytes) {
    return "(a role)";
  }
  for (char c : role) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.' || c == '-';
    if (!plain) {
      return "(a role)";
    }
  }
  return "\"" + std::string(role) + "\"";
}

}  // namespace locksmith::internal
