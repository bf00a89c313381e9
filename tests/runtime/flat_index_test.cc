#include "runtime/flat_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locksmith::internal {
namespace {

TEST(FlatIndexTest, FindsEveryKeyAcrossGrowth) {
  std::vector<std::string> keys;
  auto key_at = [&keys](std::uint32_t pos) -> std::string_view { return keys[pos]; };
  FlatIndex index;
  EXPECT_FALSE(index.Find("absent", key_at).has_value());
  for (int i = 0; i < 1000; ++i) {
    keys.push_back("secret-" + std::to_string(i));
    index.Insert(keys.back(), static_cast<std::uint32_t>(keys.size() - 1));
  }
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    auto pos = index.Find(keys[i], key_at);
    ASSERT_TRUE(pos.has_value()) << keys[i];
    EXPECT_EQ(*pos, i);
  }
  EXPECT_FALSE(index.Find("secret-1000", key_at).has_value());
  EXPECT_FALSE(index.Find("", key_at).has_value());
}

}  // namespace
}  // namespace locksmith::internal
