// SecretValue: the one type that holds secret bytes (secret values, keys, tokens, credentials).
// It wipes its memory when destroyed or moved from, compares in constant time, and prints as
// "***" through every printer we know of (streams, fmt/spdlog, GoogleTest). The bytes are read
// only through RevealUnsafe(), so every place that touches them is easy to find in review.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <span>
#include <string_view>

namespace locksmith {

// Move-only; copies are explicit (Clone). Not thread-safe to mutate, safe to read concurrently.
class SecretValue {
 public:
  SecretValue() = default;
  explicit SecretValue(std::string_view bytes);
  explicit SecretValue(std::span<const std::uint8_t> bytes);
  // Takes `size` zeroed bytes, to be filled through MutableBytesUnsafe() (e.g. by a decrypt).
  static SecretValue Zeroed(std::size_t size);

  SecretValue(SecretValue&& other) noexcept { TakeFrom(other); }
  SecretValue& operator=(SecretValue&& other) noexcept {
    if (this != &other) {
      Wipe();
      TakeFrom(other);
    }
    return *this;
  }
  SecretValue(const SecretValue&) = delete;
  SecretValue& operator=(const SecretValue&) = delete;
  ~SecretValue() { Wipe(); }

  SecretValue Clone() const;

  // The secret bytes. Do not log, print or copy them into ordinary strings.
  std::string_view RevealUnsafe() const { return {data_, size_}; }
  std::span<const std::uint8_t> RevealBytesUnsafe() const {
    return {reinterpret_cast<const std::uint8_t*>(data_), size_};
  }
  std::span<std::uint8_t> MutableBytesUnsafe() {
    return {reinterpret_cast<std::uint8_t*>(data_), size_};
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant time in the contents (the length is not secret).
  bool operator==(const SecretValue& other) const;
  bool Equals(std::string_view bytes) const;

  // Printing never reveals the value.
  friend std::ostream& operator<<(std::ostream& os, const SecretValue&) { return os << "***"; }
  friend void PrintTo(const SecretValue&, std::ostream* os) { *os << "***"; }

 private:
  // Values up to this size live inside the object: copying a cached password or key then needs
  // no allocation (the cache-hit path copies every value it hands out).
  static constexpr std::size_t kInlineCapacity = 48;

  void Allocate(std::size_t size);
  bool IsInline() const { return data_ == inline_; }
  // Zeroes the whole inline buffer. Fixed-size, so it compiles to a few stores; the empty asm
  // that takes the buffer's address keeps the compiler from dropping them as dead.
  void ZeroInline() noexcept {
    std::memset(inline_, 0, kInlineCapacity);
    asm volatile("" : : "r"(inline_) : "memory");
  }
  void WipeHeap() noexcept;  // wipes and frees a heap block (out of line: rare)
  // Moves are inline and fixed-size for inline values: the cache-hit path moves each value it
  // hands out a few times on its way into a Result.
  void TakeFrom(SecretValue& other) noexcept {
    size_ = other.size_;
    if (other.IsInline()) {
      data_ = inline_;
      std::memcpy(inline_, other.inline_, kInlineCapacity);
      other.ZeroInline();
    } else {
      data_ = other.data_;
      other.data_ = other.inline_;
    }
    other.size_ = 0;
  }
  void Wipe() noexcept {
    if (IsInline()) {
      ZeroInline();
    } else {
      WipeHeap();
    }
    size_ = 0;
  }

  char* data_ = inline_;  // inline_ or a MADV_DONTDUMP block (core/secure_memory.h)
  std::size_t size_ = 0;
  char inline_[kInlineCapacity] = {};
};

}  // namespace locksmith

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
template <>
struct fmt::formatter<locksmith::SecretValue> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const locksmith::SecretValue&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format("***", ctx);
  }
};
#endif
