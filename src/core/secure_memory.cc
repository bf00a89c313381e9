// SecureAllocate / SecureFree: size classes over MADV_DONTDUMP chunks (see secure_memory.h).
#include "core/secure_memory.h"

#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LOCKSMITH_POISON(addr, size) ASAN_POISON_MEMORY_REGION(addr, size)
#define LOCKSMITH_UNPOISON(addr, size) ASAN_UNPOISON_MEMORY_REGION(addr, size)
#else
#define LOCKSMITH_POISON(addr, size) ((void)(addr), (void)(size))
#define LOCKSMITH_UNPOISON(addr, size) ((void)(addr), (void)(size))
#endif

namespace locksmith::internal {
namespace {

// Every block starts with this header; the caller's bytes follow it (16-byte aligned).
struct alignas(16) BlockHeader {
  std::uint32_t kind;   // a size class, kMappedKind or kFallbackKind
  std::uint32_t shard;  // a size class's block: the shard it was carved from, and returns to
  union {
    std::size_t mapped_bytes;  // kMappedKind: the length of the block's own mapping
    BlockHeader* next_free;    // a size class's free list, while the block is free
  };
};
static_assert(sizeof(BlockHeader) == 16);

constexpr std::size_t kSmallestClass = 64;  // a block of class i is kSmallestClass << i bytes
constexpr std::uint32_t kClassCount = 9;    // up to 16 KiB blocks
constexpr std::size_t kLargestClass = kSmallestClass << (kClassCount - 1);
constexpr std::size_t kChunkBytes = std::size_t{256} * 1024;
constexpr std::uint32_t kMappedKind = kClassCount;
constexpr std::uint32_t kFallbackKind = kClassCount + 1;

// Anonymous pages left out of core dumps; null when mmap fails. A failed madvise (a kernel
// without MADV_DONTDUMP) leaves the pages usable: they are still wiped on free.
void* MapDontDump(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) {
    return nullptr;
  }
  (void)::madvise(pages, bytes, MADV_DONTDUMP);
  return pages;
}

std::uint32_t ClassFor(std::size_t block_bytes) {
  std::uint32_t c = 0;
  while ((kSmallestClass << c) < block_bytes) {
    ++c;
  }
  return c;
}

// One size class of one shard: a free list of returned blocks, then the untouched rest of the
// current chunk (carved on demand, so pages become resident only when used). Cache-line aligned:
// threads on different shards do not share a line.
struct alignas(64) SizeClass {
  std::mutex mu;
  BlockHeader* free_list = nullptr;
  char* next_unused = nullptr;
  char* chunk_end = nullptr;
};

// Threads are spread over shards (round-robin at a thread's first allocation), each with its own
// size classes and locks, so two threads copying large values do not contend on one mutex (one
// lock per class made BM_CacheHitGetLarge slower with 2 threads than with 1). A block freed by
// another thread goes back to the shard it was carved from (its header says which): were it to
// join the freeing thread's shard, a thread that only allocates (a refresh thread) and threads
// that only free (request workers) would carve new chunks for ever while free blocks piled up
// elsewhere (found by scripts/soak-agent.py: the agent's RSS grew 4 MiB/s serving stale values).
constexpr std::size_t kShardCount = 8;

std::size_t ThisThreadShard() {
  static std::atomic<std::size_t> next_shard{0};
  thread_local const std::size_t shard =
      next_shard.fetch_add(1, std::memory_order_relaxed) % kShardCount;
  return shard;
}

class SecureArena {
 public:
  void* Allocate(std::size_t size) {
    const std::size_t block_bytes = size + sizeof(BlockHeader);
    BlockHeader* header = nullptr;
    if (block_bytes <= kLargestClass) {
      header = FromClass(ClassFor(block_bytes));
    } else {
      header = FromOwnMapping(block_bytes);
    }
    if (header == nullptr) {
      // No mapping to be had: an ordinary (dumpable) heap block, zeroed and still wiped on free.
      header = reinterpret_cast<BlockHeader*>(new char[block_bytes]());
      header->kind = kFallbackKind;
      return header + 1;
    }
    // Under AddressSanitizer, the bytes past `size` stay poisoned, so an overflow is still caught
    // as it was with new[]. Without it these are no-ops.
    char* payload = reinterpret_cast<char*>(header + 1);
    LOCKSMITH_UNPOISON(payload, size);
    LOCKSMITH_POISON(payload + size, BlockBytes(*header) - sizeof(BlockHeader) - size);
    return payload;
  }

  void Free(void* block, std::size_t used) noexcept {
    BlockHeader* header = static_cast<BlockHeader*>(block) - 1;
    explicit_bzero(block, used);
    if (header->kind < kClassCount) {
      LOCKSMITH_POISON(block, BlockBytes(*header) - sizeof(BlockHeader));  // use after free
      SizeClass& sc = classes_[header->shard][header->kind];
      std::lock_guard lock(sc.mu);
      header->next_free = sc.free_list;
      sc.free_list = header;
    } else if (header->kind == kMappedKind) {
      LOCKSMITH_UNPOISON(header, header->mapped_bytes);
      ::munmap(header, header->mapped_bytes);
    } else {
      delete[] reinterpret_cast<char*>(header);
    }
  }

 private:
  static std::size_t BlockBytes(const BlockHeader& header) {
    return header.kind < kClassCount ? kSmallestClass << header.kind : header.mapped_bytes;
  }

  BlockHeader* FromClass(std::uint32_t c) {
    const auto shard = static_cast<std::uint32_t>(ThisThreadShard());
    SizeClass& sc = classes_[shard][c];
    const std::size_t block_bytes = kSmallestClass << c;
    std::lock_guard lock(sc.mu);
    BlockHeader* header = sc.free_list;
    if (header != nullptr) {
      sc.free_list = header->next_free;
      return header;
    }
    if (sc.next_unused == nullptr || sc.chunk_end - sc.next_unused < std::ptrdiff_t(block_bytes)) {
      char* chunk = static_cast<char*>(MapDontDump(kChunkBytes));
      if (chunk == nullptr) {
        return nullptr;
      }
      chunks_mapped_.fetch_add(1, std::memory_order_relaxed);
      // The rest of the old chunk (less than one block) is abandoned.
      sc.next_unused = chunk;
      sc.chunk_end = chunk + kChunkBytes;
    }
    header = reinterpret_cast<BlockHeader*>(sc.next_unused);
    sc.next_unused += block_bytes;
    header->kind = c;
    header->shard = shard;
    return header;
  }

  static BlockHeader* FromOwnMapping(std::size_t block_bytes) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t mapped = (block_bytes + page - 1) / page * page;
    auto* header = static_cast<BlockHeader*>(MapDontDump(mapped));
    if (header != nullptr) {
      header->kind = kMappedKind;
      header->mapped_bytes = mapped;
    }
    return header;
  }

 public:
  std::size_t ChunksMapped() const { return chunks_mapped_.load(std::memory_order_relaxed); }

 private:
  std::array<std::array<SizeClass, kClassCount>, kShardCount> classes_;
  std::atomic<std::size_t> chunks_mapped_{0};
};

// Never destroyed: SecretValues in other static objects may be freed during exit.
SecureArena& Arena() {
  static auto* arena = new SecureArena();
  return *arena;
}

}  // namespace

void* SecureAllocate(std::size_t size) { return Arena().Allocate(size); }

void SecureFree(void* block, std::size_t used) noexcept {
  if (block != nullptr) {
    Arena().Free(block, used);
  }
}

std::size_t SecureChunksMappedForTest() { return Arena().ChunksMapped(); }

}  // namespace locksmith::internal
