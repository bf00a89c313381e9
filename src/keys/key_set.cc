// The key-type-independent part of KeySetHolder: loading versions and following rotations.
#include "keys/key_set.h"

#include <spdlog/spdlog.h>

#include "locksmith/log.h"

namespace locksmith::internal {

std::vector<Secret> VersionsInOrder(KeyVersions versions) {
  std::vector<Secret> out;
  out.reserve(2 + versions.extra.size());
  out.push_back(std::move(versions.current));
  if (versions.previous) {
    out.push_back(std::move(*versions.previous));
  }
  for (Secret& extra : versions.extra) {
    out.push_back(std::move(extra));
  }
  return out;
}

KeySetLoader::KeySetLoader(SecretsManager* manager, std::string name, std::string kind,
                           std::vector<std::string> extra_version_ids, Accept accept)
    : manager_(manager),
      name_(std::move(name)),
      kind_(std::move(kind)),
      extra_version_ids_(std::move(extra_version_ids)),
      accept_(std::move(accept)) {}

Result<void> KeySetLoader::Load(std::optional<Secret> announced) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      KeyVersions versions,
      LoadKeyVersions(*manager_, name_, std::move(announced), extra_version_ids_));
  LOCKSMITH_ASSIGN_OR_RETURN(std::string description,
                             accept_(VersionsInOrder(std::move(versions))));
  Logger()->info("{} '{}': {}", kind_, name_, description);
  return OkResult();
}

void KeySetLoader::Subscribe() {
  subscription_ = manager_->Subscribe(name_, [this](const SecretUpdate& update) {
    Secret announced{name_, update.version, update.value.Clone()};
    if (auto loaded = Load(std::move(announced)); !loaded.ok()) {
      Logger()->warn("{} '{}': reload failed ({}); keeping the previous keys", kind_, name_,
                     loaded.error().ToString());
    }
  });
}

Result<void> KeySetLoader::Reload() {
  if (manager_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "this key ring has fixed keys");
  }
  return Load(std::nullopt);
}

}  // namespace locksmith::internal
