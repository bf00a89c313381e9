// SecretCache: the manager's cache of fetched secrets, keyed by reference ("name",
// "name#field", or a version key from VersionKey). Reads (the hot path) lock only the calling
// thread's reader slot and copy the value out; writes lock every slot. Entries remember when
// they were fetched, when a refresh is due and when they expire, and carry a one-shot "refresh
// claimed" flag so a refresh is scheduled once per entry and cycle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secure_memory.h"
#include "locksmith/provider.h"
#include "runtime/flat_index.h"
#include "runtime/sharded_lock.h"

namespace locksmith::internal {

using TimePoint = std::chrono::steady_clock::time_point;

// What an entry holds and how to fetch it again.
struct EntrySpec {
  std::string name;   // logical name
  std::string field;  // empty: whole value
  VersionSelector selector;
  bool versioned = false;  // a GetVersion entry (no subscriptions, no age metric)
};

// The cache key of a GetVersion entry; never equal to a plain reference ('\x1f' is not valid in
// one).
std::string VersionKey(std::string_view ref, const VersionSelector& selector);

Secret CloneSecret(const Secret& secret);

enum class Freshness { kAbsent, kExpired, kFresh };

struct LookupResult {
  Freshness freshness = Freshness::kAbsent;
  // True once per refresh cycle: the caller claimed the entry's refresh and must schedule it.
  bool refresh_claimed = false;
};

struct DueEntry {
  std::string key;
  EntrySpec spec;
};

// Thread-safe.
class SecretCache {
 public:
  // Hot path: copies the value (LookupValue) or the whole secret (LookupSecret) if fresh.
  LookupResult LookupValue(std::string_view key, TimePoint now, SecretValue& out);
  LookupResult LookupSecret(std::string_view key, TimePoint now, Secret& out);

  // Inserts or replaces an entry fetched at `now`. Returns true if it replaced an entry holding
  // a different version id (the caller notifies subscribers).
  bool Store(const std::string& key, const EntrySpec& spec, Secret secret, TimePoint now,
             std::chrono::nanoseconds ttl, double refresh_ahead);

  // The cached secret if it was fetched no longer than `max_staleness` before `now`, fresh or
  // not. Used when the back end fails.
  std::optional<Secret> LookupStale(std::string_view key, TimePoint now,
                                    std::chrono::nanoseconds max_staleness);

  // When the entry was last fetched successfully, if cached.
  std::optional<TimePoint> FetchedAt(std::string_view key);
  std::optional<EntrySpec> SpecFor(std::string_view key);
  // Marks every entry of logical name `name` that is not pinned to a version id as expired at
  // `now` (a write made them stale; a version id never changes its value).
  void ExpireName(std::string_view name, TimePoint now);
  // Lets the entry's refresh be claimed again (after a failed refresh).
  void ReleaseClaim(std::string_view key);
  // Claims every entry whose refresh time has passed and that nobody has claimed.
  std::vector<DueEntry> ClaimDue(TimePoint now);

  bool Contains(std::string_view key);
  std::size_t size();
  std::uint64_t hits() { return lock_.SumHits(); }
  // Calls `add` with (logical name, fresh hits of one entry) for every entry that had hits; a
  // name appears once per entry holding it (name, name#field, version keys).
  void ForEachEntryHits(const std::function<void(std::string_view name, std::uint64_t hits)>& add);

  // Where the cached value of `key` lives (its inline bytes are inside this object), or null.
  const SecretValue* StoredValueForTest(std::string_view key);

 private:
  // Entries live in the pages SecretValue's larger values use (core/secure_memory.h): left out
  // of core dumps, so the values held inline in `secret` are too, and wiped when freed.
  struct Entry {
    static void* operator new(std::size_t size) { return SecureAllocate(size); }
    static void operator delete(void* entry, std::size_t size) { SecureFree(entry, size); }
    std::string key;
    EntrySpec spec;
    Secret secret;
    TimePoint fetched_at;
    TimePoint refresh_at;
    TimePoint expires_at;
    std::atomic<bool> refresh_claimed{false};
  };
  auto KeyAt() const {
    return [this](std::uint32_t pos) -> std::string_view { return entries_[pos]->key; };
  }
  // The entry for `key`, or null. Call with a slot (or all slots) locked.
  Entry* FindLocked(std::string_view key) const;
  // As FindLocked, with the entry's position.
  Entry* FindLocked(std::string_view key, std::uint32_t& pos) const;

  template <typename CopyOut>
  LookupResult Lookup(std::string_view key, TimePoint now, CopyOut&& copy_out);

  ShardedReaderLock lock_;
  // Guarded by lock_ (any slot to read, all slots to write). Entries are only added or replaced,
  // never removed, so a position stays valid.
  std::vector<std::unique_ptr<Entry>> entries_;
  FlatIndex index_;
};

}  // namespace locksmith::internal
