#include "core/version_cache.h"

#include <algorithm>
#include <utility>

namespace locksmith::internal {

VersionCache::VersionCache(std::size_t versions_per_secret, std::size_t max_secrets)
    : versions_per_secret_(versions_per_secret),
      max_secrets_(std::max<std::size_t>(max_secrets, 1)) {}

VersionCache::SecretList::iterator VersionCache::FindSecretLocked(std::string_view key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? secrets_.end() : it->second;
}

bool VersionCache::Contains(std::string_view key) const {
  std::lock_guard lock(mu_);
  return by_key_.find(key) != by_key_.end();
}

std::optional<VersionCache::Entry> VersionCache::Find(std::string_view key,
                                                      std::string_view version_id) {
  std::lock_guard lock(mu_);
  auto secret = FindSecretLocked(key);
  if (secret == secrets_.end()) {
    return std::nullopt;
  }
  auto version = secret->by_id.find(version_id);
  if (version == secret->by_id.end()) {
    return std::nullopt;
  }
  secrets_.splice(secrets_.begin(), secrets_, secret);
  secret->versions.splice(secret->versions.begin(), secret->versions, version->second);
  const Entry& held = version->second->entry;
  return Entry{held.version, held.value.Clone()};
}

void VersionCache::Store(std::string_view key, const VersionInfo& version,
                         const SecretValue& value) {
  if (!enabled() || version.version_id.empty()) {
    return;
  }
  // Copy outside the lock; a copy that is not kept wipes itself.
  Version fresh{version.version_id, Entry{version, value.Clone()}};
  std::lock_guard lock(mu_);
  auto secret = FindSecretLocked(key);
  if (secret == secrets_.end()) {
    if (secrets_.size() >= max_secrets_) {
      by_key_.erase(secrets_.back().key);
      secrets_.pop_back();
    }
    secrets_.push_front(PerSecret{std::string(key), {}, {}});
    secret = secrets_.begin();
    by_key_.emplace(secret->key, secret);
  } else {
    secrets_.splice(secrets_.begin(), secrets_, secret);
  }
  if (auto held = secret->by_id.find(version.version_id); held != secret->by_id.end()) {
    held->second->entry.version = std::move(fresh.entry.version);  // the value never changes
    secret->versions.splice(secret->versions.begin(), secret->versions, held->second);
    return;
  }
  if (secret->versions.size() >= versions_per_secret_) {
    secret->by_id.erase(secret->versions.back().id);
    secret->versions.pop_back();
  }
  secret->versions.push_front(std::move(fresh));
  secret->by_id.emplace(secret->versions.front().id, secret->versions.begin());
}

void VersionCache::Forget(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    return;
  }
  SecretList::iterator secret = it->second;
  by_key_.erase(it);
  secrets_.erase(secret);
}

std::size_t VersionCache::VersionCount(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? 0 : it->second->versions.size();
}

std::size_t VersionCache::SecretCount() const {
  std::lock_guard lock(mu_);
  return secrets_.size();
}

}  // namespace locksmith::internal
