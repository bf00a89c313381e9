// Random: the only source of randomness in the library, injected so tests are deterministic.
#pragma once

#include <cstdint>
#include <span>

#include "locksmith/result.h"

namespace locksmith {

// Implementations are thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  // Cryptographically secure bytes (keys, nonces, generated secrets).
  virtual Result<void> Fill(std::span<std::uint8_t> out) = 0;
  // Uniform in [0, bound) (bound > 0). Used for jitter; need not be cryptographic.
  virtual std::uint64_t Uniform(std::uint64_t bound) = 0;
};

// The process-wide real source (OpenSSL's DRBG for bytes). Never null; lives for the program.
Random& SystemRandom();

}  // namespace locksmith
