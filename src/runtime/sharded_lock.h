// ShardedReaderLock: a reader/writer lock for read-mostly data on the hot path. Each reader
// thread locks only "its" slot (assigned round-robin on first use), so readers on different
// threads touch different cache lines and never contend; a writer locks every slot in order.
// Each slot also carries counters guarded by its lock, so counting hits needs no shared atomic.
// Slots are spin locks (yielding after a short spin), not std::mutex: they are held only for a
// lookup and a copy, and a spin lock's unlock is a plain store instead of a second atomic
// read-modify-write and a library call, which measurably shortens a ~90 ns cache hit.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace locksmith::internal {

inline constexpr std::size_t kReaderSlots = 16;

// Next round-robin slot; called once per thread.
std::size_t NextThreadSlot();

// This thread's slot index in [0, kReaderSlots).
inline std::size_t ThisThreadSlot() {
  thread_local const std::size_t slot = NextThreadSlot();
  return slot;
}

// A test-and-test-and-set spin lock that yields to the scheduler when it spins for long.
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < kSpinsBeforeYield) {
          Pause();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr int kSpinsBeforeYield = 64;
  static void Pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  std::atomic<bool> locked_{false};
};

class ShardedReaderLock {
 public:
  // 128 bytes: a cache line plus the adjacent line the prefetcher pulls in with it.
  struct alignas(128) Slot {
    SpinLock mu;
    std::uint64_t hits = 0;  // guarded by mu
    // Hits per position of the guarded data (SecretCache: per entry, for the per-secret access
    // metric); guarded by mu, grown by the reader that first needs a position.
    std::vector<std::uint64_t> hits_at;
  };

  Slot& ReaderSlot() { return slots_[ThisThreadSlot()]; }
  Slot& slot(std::size_t i) { return slots_[i]; }

  void LockAll() {
    for (auto& s : slots_) {
      s.mu.lock();
    }
  }
  void UnlockAll() {
    // Reverse order; NOLINTNEXTLINE(modernize-loop-convert): C++20 has no reverse range-for.
    for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
      it->mu.unlock();
    }
  }

  // The sum of every slot's hit counter.
  std::uint64_t SumHits() {
    std::uint64_t total = 0;
    for (auto& s : slots_) {
      std::lock_guard lock(s.mu);
      total += s.hits;
    }
    return total;
  }

 private:
  std::array<Slot, kReaderSlots> slots_;
};

// Holds every slot of a ShardedReaderLock (exclusive access).
class WriterGuard {
 public:
  explicit WriterGuard(ShardedReaderLock& lock) : lock_(lock) { lock_.LockAll(); }
  ~WriterGuard() { lock_.UnlockAll(); }
  WriterGuard(const WriterGuard&) = delete;
  WriterGuard& operator=(const WriterGuard&) = delete;

 private:
  ShardedReaderLock& lock_;
};

}  // namespace locksmith::internal
