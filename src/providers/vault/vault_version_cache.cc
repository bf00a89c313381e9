#include "providers/vault/vault_version_cache.h"

#include "providers/vault/vault_api.h"  // WipeJson

namespace locksmith::internal {

VaultVersionCache::~VaultVersionCache() {
  for (auto& [path, entries] : paths_) {
    for (auto& [n, entry] : entries.versions) {
      WipeJson(entry.data);
    }
  }
}

bool VaultVersionCache::Holds(const std::string& path) const {
  std::lock_guard lock(mutex_);
  return paths_.count(path) != 0;
}

std::optional<VaultVersionCache::Entry> VaultVersionCache::Find(const std::string& path,
                                                                std::int64_t version) const {
  std::lock_guard lock(mutex_);
  auto it = paths_.find(path);
  if (it == paths_.end()) {
    return std::nullopt;
  }
  auto v = it->second.versions.find(version);
  if (v == it->second.versions.end()) {
    return std::nullopt;
  }
  return v->second;
}

void VaultVersionCache::Store(const std::string& path, Entry entry) {
  std::lock_guard lock(mutex_);
  auto it = paths_.find(path);
  if (it == paths_.end()) {
    if (paths_.size() >= kMaxPaths) {
      EraseLocked(paths_.find(order_.front()));
    }
    order_.push_back(path);
    it = paths_.emplace(path, PathEntries{{}, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  auto& versions = it->second.versions;
  std::int64_t version = entry.version;
  auto [slot, inserted] = versions.try_emplace(version, std::move(entry));
  if (!inserted) {
    WipeJson(entry.data);  // versions never change: the held copy is the same
    return;
  }
  while (versions.size() > kVersionsPerPath) {
    WipeJson(versions.begin()->second.data);
    versions.erase(versions.begin());
  }
}

void VaultVersionCache::Forget(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = paths_.find(path);
  if (it != paths_.end()) {
    EraseLocked(it);
  }
}

void VaultVersionCache::EraseLocked(std::unordered_map<std::string, PathEntries>::iterator it) {
  for (auto& [n, entry] : it->second.versions) {
    WipeJson(entry.data);
  }
  order_.erase(it->second.order);
  paths_.erase(it);
}

}  // namespace locksmith::internal
