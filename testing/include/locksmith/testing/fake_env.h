// FakeEnv: a fake process environment, built variable by variable, for LoadConfig and
// SecretsManager::FromEnv in tests:
//   auto secrets = SecretsManager::FromEnv(FakeEnv().Set("SECRETS_BACKEND", "local")...Lookup());
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "locksmith/config.h"

namespace locksmith::testing {

class FakeEnv {
 public:
  FakeEnv& Set(std::string name, std::string value) {
    vars_[std::move(name)] = std::move(value);
    return *this;
  }
  // A lookup holding its own copy of the variables.
  EnvLookup Lookup() const {
    return [vars = vars_](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      if (it == vars.end()) {
        return std::nullopt;
      }
      return it->second;
    };
  }
  Result<Config> Load() const { return LoadConfig(Lookup()); }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace locksmith::testing
