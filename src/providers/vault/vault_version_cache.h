// VaultVersionCache: the KV data of versions already read, per secret path. A KV v2 version never
// changes once written, so when the metadata endpoint says the current (or previous) version is
// one already held, the provider answers without reading the data again: the version-aware
// refresh of docs/vault.md. Deletion is not cached: callers learn which versions are live from
// the metadata first.
//
// Thread-safe. Holds at most kVersionsPerPath versions per path (the newest) and kMaxPaths paths
// (the least recently stored path goes first); evicted and destroyed data is wiped.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

namespace locksmith::internal {

class VaultVersionCache {
 public:
  static constexpr std::size_t kVersionsPerPath = 3;
  static constexpr std::size_t kMaxPaths = 4096;

  struct Entry {
    std::int64_t version = 0;
    std::chrono::system_clock::time_point created;
    nlohmann::json data;  // the KV data map
  };

  VaultVersionCache() = default;
  VaultVersionCache(const VaultVersionCache&) = delete;
  VaultVersionCache& operator=(const VaultVersionCache&) = delete;
  ~VaultVersionCache();

  // Whether any version of `path` is held (then asking the metadata first can save a read).
  bool Holds(const std::string& path) const;
  // A copy of the data of `version` of `path` (the caller wipes it), or nullopt.
  std::optional<Entry> Find(const std::string& path, std::int64_t version) const;
  // Remembers `entry` for `path` (wiped here if that version is already held).
  void Store(const std::string& path, Entry entry);
  // Forgets every version of `path` (after a write, or when metadata says it is gone).
  void Forget(const std::string& path);

 private:
  struct PathEntries {
    std::map<std::int64_t, Entry> versions;  // oldest first
    std::list<std::string>::iterator order;
  };
  void EraseLocked(std::unordered_map<std::string, PathEntries>::iterator it);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, PathEntries> paths_;
  std::list<std::string> order_;  // least recently stored first
};

}  // namespace locksmith::internal
