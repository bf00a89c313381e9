#include "locksmith/testing/in_memory_secrets.h"

#include <utility>

namespace locksmith::testing {

SecretsManagerOptions InMemorySecrets::DefaultOptions() {
  SecretsManagerOptions options;
  options.background_refresh = false;
  options.retry.max_attempts = 1;
  return options;
}

InMemorySecrets::InMemorySecrets(std::string kind, const SecretsManagerOptions& options) {
  auto provider = std::make_unique<InMemoryProvider>(clock_, std::move(kind));
  provider_ = provider.get();
  auto manager = SecretsManager::Create(std::move(provider),
                                        {.options = options, .clock = &clock_, .random = &random_});
  if (manager.ok()) {
    manager_ = std::move(manager).value();
  } else {
    provider_ = nullptr;
    error_ = std::move(manager).error();
  }
}

Result<VersionInfo> InMemorySecrets::Seed(std::string_view name, std::string_view value) {
  LOCKSMITH_RETURN_IF_ERROR(status());
  return provider_->Put(name, SecretValue(value), Stage::kCurrent);
}

Result<void> InMemorySecrets::status() const {
  if (error_) {
    return *error_;
  }
  return OkResult();
}

}  // namespace locksmith::testing
