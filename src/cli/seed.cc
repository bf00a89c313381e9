// Development secrets for a fresh local store, so `locksmith agent` serves something at once.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/strings.h"
#include "locksmith/log.h"

namespace locksmith {

std::vector<SeedSpec> DevelopmentSeeds() {
  return {{"db-encryption-key", 32},
          {"jwt-secret", 64},
          {"database-password", 24},
          {"redis-password", 24},
          {"alchemy-api-key", 32}};
}

Result<std::vector<std::string>> SeedDevelopmentSecrets(SecretsManager& manager,
                                                        std::string_view app_env) {
  std::vector<std::string> seeded;
  if (manager.Backend() != "local" || internal::IsProductionAppEnv(app_env)) {
    return seeded;
  }
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<std::string> existing, manager.List(""));
  if (!existing.empty()) {
    return seeded;
  }
  for (const SeedSpec& seed : DevelopmentSeeds()) {
    LOCKSMITH_RETURN_IF_ERROR(manager.Rotate(seed.name, seed.bytes));
    seeded.emplace_back(seed.name);
  }
  Logger()->info("seeded {} development secrets: {}", seeded.size(), fmt::join(seeded, ", "));
  return seeded;
}

}  // namespace locksmith
