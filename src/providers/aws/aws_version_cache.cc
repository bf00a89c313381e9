#include "providers/aws/aws_version_cache.h"

#include <algorithm>

namespace locksmith::internal {
namespace {

Secret Copy(const std::string& name, const VersionInfo& info, const SecretValue& value) {
  return Secret{name, info, value.Clone()};
}

}  // namespace

AwsVersionCache::AwsVersionCache(std::size_t versions_per_secret, std::size_t max_secrets)
    : versions_per_secret_(versions_per_secret),
      max_secrets_(std::max<std::size_t>(max_secrets, 1)) {}

bool AwsVersionCache::Contains(std::string_view name) const {
  std::lock_guard lock(mu_);
  return secrets_.find(name) != secrets_.end();
}

std::optional<Secret> AwsVersionCache::Find(std::string_view name, std::string_view version_id) {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) {
    return std::nullopt;
  }
  for (Version& version : it->second.versions) {
    if (version.info.version_id == version_id) {
      version.last_use = ++tick_;
      it->second.last_use = tick_;
      return Copy(it->first, version.info, version.value);
    }
  }
  return std::nullopt;
}

void AwsVersionCache::Store(const Secret& secret) {
  if (!enabled() || secret.version.version_id.empty()) {
    return;
  }
  // Clone outside the lock; the copy is wiped on every path that drops it.
  Version fresh{secret.version, secret.value.Clone(), 0};
  std::lock_guard lock(mu_);
  auto it = secrets_.find(secret.name);
  if (it == secrets_.end()) {
    if (secrets_.size() >= max_secrets_) {
      auto oldest = std::min_element(
          secrets_.begin(), secrets_.end(),
          [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
      secrets_.erase(oldest);
    }
    it = secrets_.emplace(secret.name, PerSecret{}).first;
  }
  PerSecret& per = it->second;
  per.last_use = ++tick_;
  fresh.last_use = tick_;
  for (Version& version : per.versions) {
    if (version.info.version_id == secret.version.version_id) {
      version.info = std::move(fresh.info);
      version.last_use = fresh.last_use;
      return;  // the value of a version id never changes
    }
  }
  if (per.versions.size() >= versions_per_secret_) {
    auto oldest = std::min_element(
        per.versions.begin(), per.versions.end(),
        [](const Version& a, const Version& b) { return a.last_use < b.last_use; });
    per.versions.erase(oldest);
  }
  per.versions.push_back(std::move(fresh));
}

void AwsVersionCache::Forget(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(name);
  if (it != secrets_.end()) {
    secrets_.erase(it);
  }
}

std::size_t AwsVersionCache::VersionCountForTest(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(name);
  return it == secrets_.end() ? 0 : it->second.versions.size();
}

}  // namespace locksmith::internal
