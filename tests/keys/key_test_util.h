// Helpers for key ring tests: a provider that forwards to a shared in-memory store (so two
// SecretsManagers, i.e. two fleet instances, see one back end), and a manager factory.
#pragma once

#include <memory>
#include <string>

#include "locksmith/secrets_manager.h"
#include "locksmith/testing/in_memory_provider.h"

namespace locksmith::testing {

class ForwardingProvider : public Provider {
 public:
  explicit ForwardingProvider(Provider& target) : target_(target) {}
  std::string_view Kind() const override { return target_.Kind(); }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    return target_.Get(name, selector);
  }
  Result<SecretDescription> Describe(std::string_view name) override {
    return target_.Describe(name);
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    return target_.List(prefix);
  }
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override {
    return target_.Put(name, value, stage);
  }
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override {
    return target_.PromoteToCurrent(name, version_id);
  }

 private:
  Provider& target_;
};

inline std::unique_ptr<SecretsManager> MakeManager(Provider& store, Clock& clock, Random& random,
                                                   Metrics* metrics = nullptr) {
  SecretsManagerOptions options;
  options.background_refresh = false;
  options.retry.max_attempts = 1;
  auto manager = SecretsManager::Create(
      std::make_unique<ForwardingProvider>(store),
      {.options = options, .clock = &clock, .random = &random, .metrics = metrics});
  return manager.ok() ? std::move(manager).value() : nullptr;
}

}  // namespace locksmith::testing
