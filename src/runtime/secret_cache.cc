#include "runtime/secret_cache.h"

#include <algorithm>

namespace locksmith::internal {

std::string VersionKey(std::string_view ref, const VersionSelector& selector) {
  std::string key(ref);
  key += '\x1f';
  if (!selector.version_id.empty()) {
    key += "id:";
    key += selector.version_id;
  } else {
    key += "stage:";
    key += StageName(selector.stage);
  }
  return key;
}

Secret CloneSecret(const Secret& secret) {
  return Secret{secret.name, secret.version, secret.value.Clone()};
}

SecretCache::Entry* SecretCache::FindLocked(std::string_view key) const {
  auto pos = index_.Find(key, KeyAt());
  return pos ? entries_[*pos].get() : nullptr;
}

SecretCache::Entry* SecretCache::FindLocked(std::string_view key, std::uint32_t& pos) const {
  auto found = index_.Find(key, KeyAt());
  if (!found) {
    return nullptr;
  }
  pos = *found;
  return entries_[pos].get();
}

template <typename CopyOut>
LookupResult SecretCache::Lookup(std::string_view key, TimePoint now, CopyOut&& copy_out) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  std::uint32_t pos = 0;
  Entry* found = FindLocked(key, pos);
  if (found == nullptr) {
    return {Freshness::kAbsent, false};
  }
  Entry& entry = *found;
  if (now >= entry.expires_at) {
    return {Freshness::kExpired, false};
  }
  ++slot.hits;
  if (pos >= slot.hits_at.size()) [[unlikely]] {
    slot.hits_at.resize(entries_.size());  // allocates under this slot's lock: once per entry
  }
  ++slot.hits_at[pos];
  copy_out(entry.secret);
  bool claimed = false;
  // Load first so that, once claimed, hits only read the flag's cache line.
  if (now >= entry.refresh_at && !entry.refresh_claimed.load(std::memory_order_relaxed)) {
    claimed = !entry.refresh_claimed.exchange(true, std::memory_order_relaxed);
  }
  return {Freshness::kFresh, claimed};
}

LookupResult SecretCache::LookupValue(std::string_view key, TimePoint now, SecretValue& out) {
  return Lookup(key, now, [&out](const Secret& s) { out = s.value.Clone(); });
}

LookupResult SecretCache::LookupSecret(std::string_view key, TimePoint now, Secret& out) {
  return Lookup(key, now, [&out](const Secret& s) { out = CloneSecret(s); });
}

bool SecretCache::Store(const std::string& key, const EntrySpec& spec, Secret secret, TimePoint now,
                        std::chrono::nanoseconds ttl, double refresh_ahead) {
  auto entry = std::make_unique<Entry>();
  entry->key = key;
  entry->spec = spec;
  entry->secret = std::move(secret);
  entry->fetched_at = now;
  entry->expires_at = now + ttl;
  entry->refresh_at =
      now + std::chrono::duration_cast<std::chrono::nanoseconds>(ttl * refresh_ahead);
  std::unique_ptr<Entry> old;  // destroyed (wiped) outside the lock
  bool changed = false;
  {
    WriterGuard guard(lock_);
    auto pos = index_.Find(key, KeyAt());
    if (!pos) {
      entries_.push_back(std::move(entry));
      index_.Insert(key, static_cast<std::uint32_t>(entries_.size() - 1));
    } else {
      auto& slot = entries_[*pos];
      changed = slot->secret.version.version_id != entry->secret.version.version_id;
      old = std::exchange(slot, std::move(entry));
    }
  }
  return changed;
}

std::optional<Secret> SecretCache::LookupStale(std::string_view key, TimePoint now,
                                               std::chrono::nanoseconds max_staleness) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  Entry* entry = FindLocked(key);
  if (entry == nullptr || now - entry->fetched_at > max_staleness) {
    return std::nullopt;
  }
  return CloneSecret(entry->secret);
}

const SecretValue* SecretCache::StoredValueForTest(std::string_view key) {
  WriterGuard guard(lock_);
  Entry* entry = FindLocked(key);
  return entry == nullptr ? nullptr : &entry->secret.value;
}

std::optional<TimePoint> SecretCache::FetchedAt(std::string_view key) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  Entry* entry = FindLocked(key);
  if (entry == nullptr) {
    return std::nullopt;
  }
  return entry->fetched_at;
}

std::optional<EntrySpec> SecretCache::SpecFor(std::string_view key) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  Entry* entry = FindLocked(key);
  if (entry == nullptr) {
    return std::nullopt;
  }
  return entry->spec;
}

void SecretCache::ExpireName(std::string_view name, TimePoint now) {
  WriterGuard guard(lock_);
  for (auto& entry : entries_) {
    if (entry->spec.name == name && entry->spec.selector.version_id.empty()) {
      entry->expires_at = std::min(entry->expires_at, now);
      entry->refresh_at = std::min(entry->refresh_at, now);
    }
  }
}

void SecretCache::ReleaseClaim(std::string_view key) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  if (Entry* entry = FindLocked(key)) {
    entry->refresh_claimed.store(false, std::memory_order_relaxed);
  }
}

std::vector<DueEntry> SecretCache::ClaimDue(TimePoint now) {
  std::vector<DueEntry> due;
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  for (auto& entry : entries_) {
    if (now >= entry->refresh_at && !entry->refresh_claimed.exchange(true)) {
      due.push_back({entry->key, entry->spec});
    }
  }
  return due;
}

void SecretCache::ForEachEntryHits(
    const std::function<void(std::string_view name, std::uint64_t hits)>& add) {
  std::vector<std::uint64_t> total;
  for (std::size_t i = 0; i < kReaderSlots; ++i) {
    auto& slot = lock_.slot(i);
    std::lock_guard lock(slot.mu);
    if (total.size() < slot.hits_at.size()) {
      total.resize(slot.hits_at.size());
    }
    for (std::size_t pos = 0; pos < slot.hits_at.size(); ++pos) {
      total[pos] += slot.hits_at[pos];
    }
  }
  // Names are read under one slot: entries are replaced only with every slot held, and a
  // replacement keeps the key (so the name) of its position.
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  for (std::size_t pos = 0; pos < total.size() && pos < entries_.size(); ++pos) {
    if (total[pos] != 0) {
      add(entries_[pos]->spec.name, total[pos]);
    }
  }
}

bool SecretCache::Contains(std::string_view key) {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  return FindLocked(key) != nullptr;
}

std::size_t SecretCache::size() {
  auto& slot = lock_.ReaderSlot();
  std::lock_guard lock(slot.mu);
  return entries_.size();
}

}  // namespace locksmith::internal
