#include "core/strings.h"

#include <gtest/gtest.h>

namespace locksmith::internal {
namespace {

TEST(StringsTest, TrimDropsAsciiWhiteSpaceOnBothSides) {
  EXPECT_EQ(Trim("  a b\t\r\n"), "a b");
  EXPECT_EQ(Trim("\v\fx"), "x");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
}

TEST(StringsTest, CaseFolding) {
  EXPECT_EQ(ToLower("AbC-1"), "abc-1");
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
}

TEST(StringsTest, ProductionAppEnv) {
  for (const char* env : {"production", "PRODUCTION", "Prod", "prod"}) {
    EXPECT_TRUE(IsProductionAppEnv(env)) << env;
  }
  for (const char* env : {"", "dev", "staging", "production-eu", " prod"}) {
    EXPECT_FALSE(IsProductionAppEnv(env)) << env;
  }
}

TEST(StringsTest, LoopbackHosts) {
  for (const char* host : {"localhost", "LOCALHOST", "localhost.", "LocalHost.", "127.0.0.1",
                           "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"", "example.com", "localhost.example.com", "10.0.0.1", "128.0.0.1",
                           "::", "[::2]", "0.0.0.0", "[127.0.0.1", "localhost.."}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace locksmith::internal
