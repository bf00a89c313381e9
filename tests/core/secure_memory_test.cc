// Secret storage left out of core dumps: SecretValue's heap blocks live in mappings whose
// /proc/self/smaps VmFlags carry "dd" (MADV_DONTDUMP), and freed blocks come back zeroed.
#include "core/secure_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "locksmith/secret_value.h"
#include "support/core_dump_flags.h"

namespace locksmith {
namespace {

using testing::IsLeftOutOfCoreDumps;
using testing::VmFlagsOfMappingHolding;

TEST(SecureMemoryTest, LargeSecretValuesLiveInPagesLeftOutOfCoreDumps) {
  for (std::size_t size : {49, 1000, 4096, 16000, 100000}) {
    SecretValue value(std::string(size, 'k'));
    ASSERT_FALSE(VmFlagsOfMappingHolding(value.RevealUnsafe().data()).empty()) << size;
    EXPECT_TRUE(IsLeftOutOfCoreDumps(value.RevealUnsafe().data())) << size;
    EXPECT_EQ(value.RevealUnsafe(), std::string(size, 'k'));
  }
}

TEST(SecureMemoryTest, OrdinaryHeapIsNotMarkedSoTheCheckMeansSomething) {
  std::vector<char> ordinary(1000, 'x');
  EXPECT_FALSE(IsLeftOutOfCoreDumps(ordinary.data()));
}

TEST(SecureMemoryTest, FreedBlocksAreWipedAndComeBackZeroed) {
  for (std::size_t size : {100, 20000}) {
    auto* block = static_cast<unsigned char*>(internal::SecureAllocate(size));
    for (std::size_t i = 0; i < size; ++i) {
      ASSERT_EQ(block[i], 0) << size;
      block[i] = 0xA5;
    }
    internal::SecureFree(block, size);
    auto* again = static_cast<unsigned char*>(internal::SecureAllocate(size));
    for (std::size_t i = 0; i < size; ++i) {
      ASSERT_EQ(again[i], 0) << size;
    }
    internal::SecureFree(again, 0);
  }
  SecretValue zeroed = SecretValue::Zeroed(300);
  for (std::uint8_t b : zeroed.RevealBytesUnsafe()) {
    ASSERT_EQ(b, 0);
  }
}

TEST(SecureMemoryTest, SmallerValuesReuseABlockWithoutSeeingTheOldBytes) {
  const void* address = nullptr;
  {
    SecretValue big(std::string(110, 'b'));
    address = big.RevealUnsafe().data();
  }
  SecretValue small = SecretValue::Zeroed(70);  // the same size class: the block just freed
  EXPECT_EQ(small.RevealUnsafe().data(), address);
  EXPECT_EQ(small.RevealUnsafe(), std::string(70, '\0'));
}

TEST(SecureMemoryTest, ThreadsAllocateAndFreeConcurrently) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 2000; ++i) {
        const std::size_t size = 49 + static_cast<std::size_t>((i * 37 + t * 101) % 3000);
        SecretValue value(std::string(size, static_cast<char>('a' + t)));
        SecretValue copy = value.Clone();
        ASSERT_TRUE(copy == value);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
}

// One thread allocates, another frees (a refresh thread filling the cache, request threads
// dropping the copies): freed blocks must be reused, not left on the freeing thread's shard while
// the allocating one carves new chunks for ever (scripts/soak-agent.py saw the agent's RSS grow
// 4 MiB/s that way).
TEST(SecureMemoryTest, BlocksFreedByAnotherThreadAreReused) {
  constexpr int kBlocks = 1000;  // 128-byte blocks: half a chunk per round
  auto round = [] {
    std::vector<void*> blocks;
    std::thread producer([&] {
      for (int i = 0; i < kBlocks; ++i) {
        blocks.push_back(internal::SecureAllocate(100));
      }
    });
    producer.join();
    std::thread consumer([&] {
      for (void* block : blocks) {
        internal::SecureFree(block, 100);
      }
    });
    consumer.join();
  };
  // Threads are spread over shards round-robin, so each round's two new threads land on new shards;
  // warm every shard first so the second phase measures reuse only.
  for (int i = 0; i < 16; ++i) {
    round();
  }
  const std::size_t chunks = internal::SecureChunksMappedForTest();
  for (int i = 0; i < 64; ++i) {
    round();
  }
  EXPECT_EQ(internal::SecureChunksMappedForTest(), chunks);
}

}  // namespace
}  // namespace locksmith
