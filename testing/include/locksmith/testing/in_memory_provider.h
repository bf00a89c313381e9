// InMemoryProvider: a small real Provider with AWS-like versions and stages, for agent and
// command tests. Version ids are "v1", "v2", ... in creation order; creation dates come from the
// given clock. Fail(code) makes every call fail with that code until Fail(std::nullopt).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/naming.h"
#include "locksmith/provider.h"

namespace locksmith::testing {

class InMemoryProvider : public Provider {
 public:
  explicit InMemoryProvider(Clock& clock, std::string kind = "local")
      : clock_(clock), kind_(std::move(kind)) {}

  std::string_view Kind() const override { return kind_; }

  void Fail(std::optional<ErrorCode> code) {
    std::lock_guard lock(mu_);
    failure_ = code;
  }
  // Put returns kUnimplemented for Stage::kPending (a back end without staging).
  void DisablePending() {
    std::lock_guard lock(mu_);
    pending_supported_ = false;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(Enter());
    auto it = secrets_.find(std::string(name));
    if (it == secrets_.end()) {
      return NotFound(name);
    }
    for (const Version& v : it->second) {
      bool match = selector.version_id.empty() ? v.info.HasStage(selector.stage)
                                               : v.info.version_id == selector.version_id;
      if (match) {
        return Secret{std::string(name), v.info, v.value.Clone()};
      }
    }
    return MakeError(ErrorCode::kNotFound,
                     "secret '" + std::string(name) + "' has no such version or stage");
  }

  Result<SecretDescription> Describe(std::string_view name) override {
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(Enter());
    auto it = secrets_.find(std::string(name));
    if (it == secrets_.end()) {
      return NotFound(name);
    }
    SecretDescription description{std::string(name), {}, std::nullopt};
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      description.versions.push_back(v->info);
    }
    if (it->second.size() > 1) {
      description.last_rotated = it->second.back().info.created;
    }
    return description;
  }

  Result<std::vector<std::string>> List(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(Enter());
    std::vector<std::string> names;
    for (const auto& [name, versions] : secrets_) {
      if (name.starts_with(prefix)) {
        names.push_back(name);
      }
    }
    return names;
  }

  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override {
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(Enter());
    LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
    if (stage == Stage::kPending && !pending_supported_) {
      return MakeError(ErrorCode::kUnimplemented, "no pending stage here");
    }
    auto& versions = secrets_[std::string(name)];
    if (stage == Stage::kCurrent) {
      MakeCurrentLocked(versions);
    } else {
      for (Version& v : versions) {
        RemoveStage(v.info, stage);
      }
    }
    Version created;
    created.info.version_id = "v" + std::to_string(++next_id_);
    created.info.stages = {stage};
    created.info.created = clock_.WallNow();
    created.value = value.Clone();
    versions.push_back(std::move(created));
    return versions.back().info;
  }

  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override {
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(Enter());
    auto it = secrets_.find(std::string(name));
    if (it == secrets_.end()) {
      return NotFound(name);
    }
    auto target = std::find_if(it->second.begin(), it->second.end(),
                               [&](const Version& v) { return v.info.version_id == version_id; });
    if (target == it->second.end()) {
      return MakeError(ErrorCode::kNotFound, "no version " + std::string(version_id));
    }
    MakeCurrentLocked(it->second);
    RemoveStage(target->info, Stage::kPending);
    RemoveStage(target->info, Stage::kPrevious);
    target->info.stages.push_back(Stage::kCurrent);
    return OkResult();
  }

 private:
  struct Version {
    VersionInfo info;
    SecretValue value;
  };

  static void RemoveStage(VersionInfo& info, Stage stage) {
    info.stages.erase(std::remove(info.stages.begin(), info.stages.end(), stage),
                      info.stages.end());
  }

  // The current version becomes previous; the old previous loses its label.
  static void MakeCurrentLocked(std::vector<Version>& versions) {
    for (Version& v : versions) {
      RemoveStage(v.info, Stage::kPrevious);
    }
    for (Version& v : versions) {
      if (v.info.HasStage(Stage::kCurrent)) {
        RemoveStage(v.info, Stage::kCurrent);
        v.info.stages.push_back(Stage::kPrevious);
      }
    }
  }

  static Error NotFound(std::string_view name) {
    return MakeError(ErrorCode::kNotFound, "secret '" + std::string(name) + "' not found");
  }

  Result<void> Enter() {
    ++calls_;
    if (failure_) {
      return MakeError(*failure_, "injected failure: " + std::string(ErrorCodeName(*failure_)));
    }
    return OkResult();
  }

  Clock& clock_;
  const std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Version>> secrets_;  // oldest version first
  std::optional<ErrorCode> failure_;
  bool pending_supported_ = true;
  int next_id_ = 0;
  int calls_ = 0;
};

}  // namespace locksmith::testing
