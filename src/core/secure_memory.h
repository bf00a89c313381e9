// The memory behind SecretValue's heap blocks and the runtime cache's entries: pages mapped for
// secrets alone and marked MADV_DONTDUMP, so a core dump (when the process allows one at all)
// leaves them out. Small blocks come from per-size-class free lists carved from 256 KiB chunks;
// blocks over 16 KiB get a mapping of their own. Every block is wiped when it is freed, so a free
// block is all zeros and SecureAllocate returns zeroed memory without writing it. When mmap fails
// the block comes from operator new[] instead (still wiped on free, but dumpable); when madvise
// fails (a kernel without MADV_DONTDUMP) the chunk is used as it is. Thread-safe.
#pragma once

#include <cstddef>

namespace locksmith::internal {

// `size` (> 0) zeroed bytes, 16-byte aligned. Throws std::bad_alloc only when both mmap and
// operator new[] fail, as operator new[] would.
void* SecureAllocate(std::size_t size);

// Wipes the first `used` bytes of `block` (all the caller ever wrote) and releases it. `block`
// must come from SecureAllocate; null is ignored.
void SecureFree(void* block, std::size_t used) noexcept;

// How many size-class chunks the arena has mapped so far (each kChunkBytes; never unmapped).
std::size_t SecureChunksMappedForTest();

}  // namespace locksmith::internal
