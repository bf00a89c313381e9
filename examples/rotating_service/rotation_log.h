// RotationLog: one log line each time a secret the service uses reaches a new version ("secret
// 'jwt-secret' is now at version v2"), with names and version ids only. Subscribed after the
// objects that react to the rotation (key rings, pool, Redis client), so the line comes once they
// have: operators and tests read it as "the service took the new version".
#pragma once

#include <string>
#include <vector>

#include "locksmith/secrets_manager.h"

namespace rotating_service {

class RotationLog {
 public:
  // `secrets` must outlive the log.
  RotationLog(locksmith::SecretsManager& secrets, const std::vector<std::string>& names);

 private:
  std::vector<locksmith::SubscriptionPtr> subscriptions_;  // last: unsubscribe first
};

}  // namespace rotating_service
