#include "keys/key_versions.h"

#include <utility>

namespace locksmith::internal {
namespace {

// The id of the version at `stage`, if any.
std::optional<std::string> VersionAt(const SecretDescription& description, Stage stage) {
  for (const VersionInfo& info : description.versions) {
    if (info.HasStage(stage)) {
      return info.version_id;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<KeyVersions> LoadKeyVersions(SecretsManager& manager, std::string_view name,
                                    std::optional<Secret> current,
                                    const std::vector<std::string>& extra_version_ids) {
  KeyVersions versions;
  // Stages are looked up in the back end's description, and versions read by id: a cached
  // stage lookup may predate the rotation, a version id never changes its value.
  auto description = manager.Describe(name);
  if (description.ok()) {
    if (current) {
      versions.current = std::move(*current);
    } else {
      auto current_id = VersionAt(*description, Stage::kCurrent);
      if (!current_id) {
        return MakeError(ErrorCode::kNotFound,
                         "secret '" + std::string(name) + "' has no current version");
      }
      LOCKSMITH_ASSIGN_OR_RETURN(versions.current,
                                 manager.GetVersion(name, VersionSelector::ById(*current_id)));
    }
    auto previous_id = VersionAt(*description, Stage::kPrevious);
    if (previous_id && *previous_id != versions.current.version.version_id) {
      LOCKSMITH_ASSIGN_OR_RETURN(Secret previous,
                                 manager.GetVersion(name, VersionSelector::ById(*previous_id)));
      versions.previous = std::move(previous);
    }
  } else {
    // The back end cannot describe (or is down): the runtime's stage lookups, which may serve
    // cached values.
    if (current) {
      versions.current = std::move(*current);
    } else {
      LOCKSMITH_ASSIGN_OR_RETURN(versions.current,
                                 manager.GetVersion(name, VersionSelector::Current()));
    }
    auto previous = manager.GetVersion(name, VersionSelector::AtStage(Stage::kPrevious));
    if (previous.ok()) {
      if (previous->version.version_id != versions.current.version.version_id) {
        versions.previous = std::move(previous).value();
      }
    } else if (previous.error().code != ErrorCode::kNotFound) {
      return std::move(previous).error();
    }
  }
  for (const std::string& id : extra_version_ids) {
    const bool duplicate = id == versions.current.version.version_id ||
                           (versions.previous && id == versions.previous->version.version_id);
    if (duplicate) {
      continue;
    }
    LOCKSMITH_ASSIGN_OR_RETURN(Secret extra, manager.GetVersion(name, VersionSelector::ById(id)));
    versions.extra.push_back(std::move(extra));
  }
  return versions;
}

}  // namespace locksmith::internal
