#include "runtime/sharded_lock.h"

#include <atomic>

namespace locksmith::internal {

std::size_t NextThreadSlot() {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) % kReaderSlots;
}

}  // namespace locksmith::internal
