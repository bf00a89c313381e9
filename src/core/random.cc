#include "locksmith/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <limits>
#include <random>

namespace locksmith {
namespace {

class OsRandom final : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override {
    if (out.empty()) {
      return OkResult();
    }
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      return MakeError(ErrorCode::kInternal, "the system random generator failed");
    }
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
};

}  // namespace

Random& SystemRandom() {
  static OsRandom random;
  return random;
}

}  // namespace locksmith
