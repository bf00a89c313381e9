// FlatIndex: string key -> position, open addressing with a power-of-two table, for the cache's
// hot lookup. std::unordered_map maps a hash to a bucket with a 64-bit modulo, which alone cost
// ~10 ns of a ~90 ns cache hit; a mask costs nothing. Keys are only ever added (the cache does not
// evict), so linear probing needs no tombstones. Not thread-safe: the cache guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace locksmith::internal {

class FlatIndex {
 public:
  static std::size_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // The position stored for `key`; `key_at(pos)` gives the key stored at a position.
  template <typename KeyAt>
  std::optional<std::uint32_t> Find(std::string_view key, const KeyAt& key_at) const {
    if (table_.empty()) {
      return std::nullopt;
    }
    const std::size_t hash = Hash(key);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = table_[i];
      if (slot.pos == kEmpty) {
        return std::nullopt;
      }
      if (slot.hash == hash && key_at(slot.pos) == key) {
        return slot.pos;
      }
    }
  }

  // Adds a key known to be absent, stored at `pos`.
  void Insert(std::string_view key, std::uint32_t pos) {
    if ((count_ + 1) * 2 > table_.size()) {
      Grow();
    }
    Place(Hash(key), pos);
    ++count_;
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    std::size_t hash = 0;
    std::uint32_t pos = kEmpty;
  };

  void Place(std::size_t hash, std::uint32_t pos) {
    std::size_t i = hash & mask_;
    while (table_[i].pos != kEmpty) {
      i = (i + 1) & mask_;
    }
    table_[i] = Slot{hash, pos};
  }

  void Grow() {
    std::vector<Slot> old = std::move(table_);
    table_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = table_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.pos != kEmpty) {
        Place(slot.hash, slot.pos);
      }
    }
  }

  std::vector<Slot> table_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace locksmith::internal
