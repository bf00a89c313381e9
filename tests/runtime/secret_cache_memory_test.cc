// The cache's entries, and so the values held inline in them (up to 48 bytes: most passwords
// and keys), live in pages left out of core dumps (MADV_DONTDUMP).
#include <gtest/gtest.h>

#include "runtime/secret_cache.h"
#include "support/core_dump_flags.h"

namespace locksmith::internal {
namespace {

TEST(SecretCacheMemoryTest, EntriesAndTheirInlineValuesAreLeftOutOfCoreDumps) {
  SecretCache cache;
  const auto now = std::chrono::steady_clock::now();
  EntrySpec spec;
  spec.name = "db-password";
  (void)cache.Store("db-password", spec,
                    Secret{"db-password", VersionInfo{"v1", {Stage::kCurrent}, {}},
                           SecretValue("short-inline-value")},
                    now, std::chrono::minutes(5), 0.8);
  const SecretValue* stored = cache.StoredValueForTest("db-password");
  ASSERT_NE(stored, nullptr);
  ASSERT_EQ(stored->RevealUnsafe(), "short-inline-value");
  EXPECT_TRUE(testing::IsLeftOutOfCoreDumps(stored));
  EXPECT_TRUE(testing::IsLeftOutOfCoreDumps(stored->RevealUnsafe().data()));
}

}  // namespace
}  // namespace locksmith::internal
