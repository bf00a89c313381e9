#include "locksmith/secret_value.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "locksmith/clock.h"
#include "locksmith/log.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

constexpr std::string_view kPlanted = "planted-secret-6f1c";

TEST(SecretValueTest, HoldsBytesAndRevealsThemOnlyExplicitly) {
  SecretValue v(kPlanted);
  EXPECT_EQ(v.size(), kPlanted.size());
  EXPECT_EQ(v.RevealUnsafe(), kPlanted);
  EXPECT_FALSE(v.empty());
  EXPECT_TRUE(SecretValue().empty());
}

TEST(SecretValueTest, PrintsAsStarsThroughStreamsFmtSpdlogAndGtest) {
  SecretValue v(kPlanted);
  std::ostringstream os;
  os << v;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(fmt::format("{}", v), "***");
  EXPECT_EQ(fmt::format("{:>5}", v), "  ***");
  EXPECT_EQ(::testing::PrintToString(v), "***");

  testing::LogCapture capture;
  Logger()->warn("value is {}", v);
  EXPECT_NE(capture.Text().find("value is ***"), std::string::npos);
  EXPECT_EQ(capture.Text().find(kPlanted), std::string::npos);
}

TEST(SecretValueTest, ComparesByContent) {
  EXPECT_EQ(SecretValue("abc"), SecretValue("abc"));
  EXPECT_FALSE(SecretValue("abc") == SecretValue("abd"));
  EXPECT_FALSE(SecretValue("abc") == SecretValue("abcd"));
  EXPECT_TRUE(SecretValue().Equals(""));
  EXPECT_TRUE(SecretValue("xyz").Equals("xyz"));
}

TEST(SecretValueTest, MoveLeavesSourceEmptyAndCloneCopies) {
  SecretValue a(kPlanted);
  SecretValue b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.RevealUnsafe(), kPlanted);
  SecretValue c = b.Clone();
  EXPECT_EQ(c, b);
  EXPECT_NE(c.RevealUnsafe().data(), b.RevealUnsafe().data());
  a = std::move(c);
  EXPECT_EQ(a.RevealUnsafe(), kPlanted);
}

TEST(SecretValueTest, ZeroedHasRequestedSize) {
  auto v = SecretValue::Zeroed(4);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.RevealUnsafe(), std::string_view("\0\0\0\0", 4));
}

}  // namespace
}  // namespace locksmith

namespace locksmith {
namespace {

TEST(SecretValueTest, InlineAndHeapValuesMoveAndCloneAlike) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{47}, std::size_t{48},
                           std::size_t{49}, std::size_t{4096}}) {
    std::string bytes(size, 'x');
    for (std::size_t i = 0; i < size; ++i) {
      bytes[i] = static_cast<char>('a' + i % 26);
    }
    SecretValue a(bytes);
    SecretValue b = std::move(a);
    EXPECT_TRUE(a.empty()) << size;  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.RevealUnsafe(), bytes) << size;
    SecretValue c;
    c = b.Clone();
    EXPECT_EQ(c.RevealUnsafe(), bytes) << size;
    c = std::move(b);
    EXPECT_EQ(c.RevealUnsafe(), bytes) << size;
    SecretValue z = SecretValue::Zeroed(size);
    EXPECT_EQ(z.RevealUnsafe(), std::string(size, '\0')) << size;
  }
}

TEST(SystemClockTest, CoarseNowTracksNow) {
  auto fine = SystemClock().Now();
  auto coarse = SystemClock().CoarseNow();
  // Same epoch, at most a few kernel ticks apart.
  EXPECT_LT(std::chrono::abs(coarse - fine), std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace locksmith
