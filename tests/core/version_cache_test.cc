// The version cache on its own: what it keeps, its bounds (least recently used out at both
// levels) and that copies handed out are independent of what it holds.
#include "core/version_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace locksmith::internal {
namespace {

VersionInfo Version(const std::string& id, std::vector<Stage> stages = {}) {
  VersionInfo info;
  info.version_id = id;
  info.stages = std::move(stages);
  return info;
}

std::string ValueOf(VersionCache& cache, const std::string& key, const std::string& id) {
  auto found = cache.Find(key, id);
  return found ? std::string(found->value.RevealUnsafe()) : std::string("(none)");
}

TEST(VersionCacheTest, KeepsValuesPerVersionAndSecret) {
  VersionCache cache(3, 10);
  EXPECT_FALSE(cache.Contains("a"));
  cache.Store("a", Version("1"), SecretValue("one"));
  cache.Store("b", Version("1"), SecretValue("other"));
  EXPECT_TRUE(cache.Contains("a"));
  EXPECT_EQ(ValueOf(cache, "a", "1"), "one");
  EXPECT_EQ(ValueOf(cache, "b", "1"), "other");
  EXPECT_EQ(ValueOf(cache, "a", "2"), "(none)");
  EXPECT_EQ(ValueOf(cache, "c", "1"), "(none)");
  EXPECT_EQ(cache.SecretCount(), 2u);
}

TEST(VersionCacheTest, AKnownVersionKeepsItsValueAndTakesTheNewLabels) {
  VersionCache cache(3, 10);
  cache.Store("a", Version("v1", {Stage::kCurrent}), SecretValue("one"));
  cache.Store("a", Version("v1", {Stage::kPrevious}),
              SecretValue("ignored: versions never change"));
  auto found = cache.Find("a", "v1");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->value.Equals("one"));
  EXPECT_EQ(found->version.stages, std::vector<Stage>{Stage::kPrevious});
  EXPECT_EQ(cache.VersionCount("a"), 1u);
}

TEST(VersionCacheTest, KeepsTheMostRecentlyUsedVersionsPerSecret) {
  VersionCache cache(3, 10);
  for (int v = 1; v <= 5; ++v) {
    cache.Store("a", Version(std::to_string(v)), SecretValue("v" + std::to_string(v)));
  }
  EXPECT_EQ(cache.VersionCount("a"), 3u);
  EXPECT_EQ(ValueOf(cache, "a", "2"), "(none)");
  EXPECT_EQ(ValueOf(cache, "a", "3"), "v3");  // now the most recently used
  cache.Store("a", Version("6"), SecretValue("v6"));
  EXPECT_EQ(ValueOf(cache, "a", "4"), "(none)");  // 4 was the least recently used
  EXPECT_EQ(ValueOf(cache, "a", "3"), "v3");
  EXPECT_EQ(ValueOf(cache, "a", "5"), "v5");
  EXPECT_EQ(ValueOf(cache, "a", "6"), "v6");
}

TEST(VersionCacheTest, DropsTheLeastRecentlyUsedSecretWhenFull) {
  VersionCache cache(3, 3);
  cache.Store("p0", Version("1"), SecretValue("x"));
  cache.Store("p1", Version("1"), SecretValue("x"));
  cache.Store("p2", Version("1"), SecretValue("x"));
  cache.Store("p0", Version("2"), SecretValue("y"));  // p0 is now the most recent
  cache.Store("new", Version("1"), SecretValue("z"));
  EXPECT_TRUE(cache.Contains("p0"));
  EXPECT_FALSE(cache.Contains("p1"));
  EXPECT_TRUE(cache.Contains("p2"));
  EXPECT_TRUE(cache.Contains("new"));
  EXPECT_TRUE(cache.Find("p2", "1").has_value());  // a hit is a use too
  cache.Store("newer", Version("1"), SecretValue("z"));
  EXPECT_FALSE(cache.Contains("p0"));
  EXPECT_TRUE(cache.Contains("p2"));
  EXPECT_EQ(cache.SecretCount(), 3u);
}

TEST(VersionCacheTest, ForgetDropsEveryVersionOfOneSecret) {
  VersionCache cache(3, 10);
  cache.Store("a", Version("1"), SecretValue("one"));
  cache.Store("a", Version("2"), SecretValue("two"));
  cache.Store("b", Version("1"), SecretValue("other"));
  cache.Forget("a");
  cache.Forget("never-stored");
  EXPECT_FALSE(cache.Contains("a"));
  EXPECT_EQ(cache.VersionCount("a"), 0u);
  EXPECT_EQ(ValueOf(cache, "b", "1"), "other");
  cache.Store("a", Version("3"), SecretValue("three"));  // usable again afterwards
  EXPECT_EQ(ValueOf(cache, "a", "3"), "three");
}

TEST(VersionCacheTest, ZeroVersionsPerSecretTurnsItOff) {
  VersionCache cache(0, 10);
  EXPECT_FALSE(cache.enabled());
  cache.Store("a", Version("1"), SecretValue("one"));
  EXPECT_FALSE(cache.Contains("a"));
}

TEST(VersionCacheTest, VersionsWithoutAnIdAreNotStored) {
  VersionCache cache(3, 10);
  cache.Store("a", Version(""), SecretValue("one"));
  EXPECT_FALSE(cache.Contains("a"));
}

TEST(VersionCacheTest, CopiesAreIndependentOfWhatIsHeld) {
  VersionCache cache(3, 10);
  SecretValue original("one");
  cache.Store("a", Version("1"), original);
  original = SecretValue("changed");
  auto first = cache.Find("a", "1");
  ASSERT_TRUE(first.has_value());
  first->value = SecretValue("scribbled");
  EXPECT_EQ(ValueOf(cache, "a", "1"), "one");
}

TEST(VersionCacheTest, ConcurrentStoresAndFindsStayWithinBounds) {
  VersionCache cache(2, 4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "k" + std::to_string((t + i) % 6);
        const std::string id = std::to_string(i % 5);
        cache.Store(key, Version(id), SecretValue(key + "@" + id));
        if (auto found = cache.Find(key, id)) {
          EXPECT_TRUE(found->value.Equals(key + "@" + id));
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_LE(cache.SecretCount(), 4u);
  for (int k = 0; k < 6; ++k) {
    EXPECT_LE(cache.VersionCount("k" + std::to_string(k)), 2u);
  }
}

}  // namespace
}  // namespace locksmith::internal
