#include "locksmith/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <random>

namespace locksmith {
namespace {

// Small requests (nonces: 12 bytes per encryption) are served from a per-thread buffer refilled
// by one RAND_bytes call per 512 bytes. Every RAND_bytes call checks for a fork with getpid(), a
// system call that costs more than the AES-GCM of a 64-byte field on a virtual machine.
// Fork safety: a child gets a copy of the parent's buffer, and must never hand out the bytes the
// parent hands out next (a repeated nonce). A pthread_atfork child handler bumps a generation
// that every buffer checks before use, so a child refills first. (A raw clone(2) without
// pthread_atfork handlers, then used without exec, is not covered; nothing here does that.)
// Bytes are wiped from the buffer as they are handed out; requests above kMaxBuffered (keys)
// always come from RAND_bytes directly.
constexpr std::size_t kBufferSize = 512;
constexpr std::size_t kMaxBuffered = 16;

std::atomic<std::uint64_t> fork_generation{1};

void OnForkInChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct RandomBuffer {
  std::array<std::uint8_t, kBufferSize> bytes{};
  std::size_t used = kBufferSize;
  std::uint64_t generation = 0;  // never a live generation: the first use refills
  ~RandomBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

class OsRandom final : public Random {
 public:
  OsRandom() { pthread_atfork(nullptr, nullptr, OnForkInChild); }

  Result<void> Fill(std::span<std::uint8_t> out) override {
    if (out.empty()) {
      return OkResult();
    }
    if (out.size() > kMaxBuffered) {
      return Direct(out);
    }
    thread_local RandomBuffer buffer;
    const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (buffer.generation != generation || kBufferSize - buffer.used < out.size()) {
      if (auto filled = Direct(buffer.bytes); !filled.ok()) {
        buffer.used = kBufferSize;
        return filled;
      }
      buffer.used = 0;
      buffer.generation = generation;
    }
    std::uint8_t* next = buffer.bytes.data() + buffer.used;
    std::memcpy(out.data(), next, out.size());
    OPENSSL_cleanse(next, out.size());
    buffer.used += out.size();
    return OkResult();
  }

  std::uint64_t Uniform(std::uint64_t bound) override {
    if (bound <= 1) {
      return 0;
    }
    // A per-thread generator: jitter needs no cryptographic strength, and this keeps the
    // call free of locks.
    thread_local std::mt19937_64 engine(std::random_device{}());
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine);
  }

 private:
  static Result<void> Direct(std::span<std::uint8_t> out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      return MakeError(ErrorCode::kInternal, "the system random generator failed");
    }
    return OkResult();
  }
};

}  // namespace

Random& SystemRandom() {
  static OsRandom random;
  return random;
}

}  // namespace locksmith
