#include "rotation_log.h"

#include "log.h"

namespace rotating_service {

RotationLog::RotationLog(locksmith::SecretsManager& secrets,
                         const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    subscriptions_.push_back(secrets.Subscribe(name, [](const locksmith::SecretUpdate& update) {
      Log("secret '" + update.ref + "' is now at version " + update.version.version_id);
    }));
  }
}

}  // namespace rotating_service
