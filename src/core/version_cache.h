// VersionCache: values of immutable secret versions, per secret, for the network providers'
// version-aware refresh. A version (an AWS version id, a Vault KV v2 version number) never changes
// once written, so a provider that learns from cheap metadata (DescribeSecret, KV metadata) which
// version a stage points at answers from here when it holds that version, and fetches the value
// only for a version it has not seen.
//
// Bounded: at most `versions_per_secret` versions per secret and `max_secrets` secrets, each level
// least recently used first out (a hit or a store counts as a use). Eviction is O(1): a list in
// use order plus a hash map into it at both levels, nothing is scanned. Values are SecretValues,
// so whatever leaves the cache (evicted, forgotten, destroyed) is wiped. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "locksmith/provider.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

class VersionCache {
 public:
  // One cached version: its info (id, stages as last seen, creation time) and its whole value.
  struct Entry {
    VersionInfo version;
    SecretValue value;
  };

  // `versions_per_secret` 0 disables the cache (nothing is stored); `max_secrets` is at least 1.
  VersionCache(std::size_t versions_per_secret, std::size_t max_secrets);
  VersionCache(const VersionCache&) = delete;
  VersionCache& operator=(const VersionCache&) = delete;

  bool enabled() const { return versions_per_secret_ > 0; }

  // Whether any version of secret `key` (a logical name or a back-end path) is held.
  bool Contains(std::string_view key) const;
  // A copy of version `version_id` of `key`, marked as recently used; nullopt if not held.
  std::optional<Entry> Find(std::string_view key, std::string_view version_id);
  // Stores a copy of `value` as version `version.version_id` of `key` (ignored for an empty id).
  // A version already held keeps its value (versions are immutable) and takes `version`'s info,
  // i.e. the newer stage labels.
  void Store(std::string_view key, const VersionInfo& version, const SecretValue& value);
  // Drops every version of `key` (the secret was deleted, or is no longer readable).
  void Forget(std::string_view key);

  // How many versions of `key` are held.
  std::size_t VersionCount(std::string_view key) const;
  // How many secrets have a version held.
  std::size_t SecretCount() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  struct Version {
    std::string id;
    Entry entry;
  };
  using VersionList = std::list<Version>;  // most recently used first
  struct PerSecret {
    std::string key;
    VersionList versions;
    std::unordered_map<std::string, VersionList::iterator, StringHash, std::equal_to<>> by_id;
  };
  using SecretList = std::list<PerSecret>;  // most recently used first

  SecretList::iterator FindSecretLocked(std::string_view key);

  const std::size_t versions_per_secret_;
  const std::size_t max_secrets_;
  mutable std::mutex mu_;
  SecretList secrets_;  // guarded by mu_
  std::unordered_map<std::string, SecretList::iterator, StringHash, std::equal_to<>>
      by_key_;  // guarded by mu_
};

}  // namespace locksmith::internal
