// The agent's HTTP text helpers: strict percent-decoding and query strings, the Host check, and
// response heads.
#include "agent/http_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using testing::HasError;
using testing::IsOk;

TEST(PercentDecodeTest, DecodesStrictly) {
  EXPECT_EQ(PercentDecode("team%2Fdb%2fpw", false), "team/db/pw");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(PercentDecode("", true), "");
  for (const char* bad : {"%", "%2", "a%2", "%zz", "%0g", "a%00b"}) {
    EXPECT_FALSE(PercentDecode(bad, true).has_value()) << bad;
  }
  EXPECT_FALSE(PercentDecode(std::string_view("a\0b", 3), false).has_value());
}

TEST(ParseQueryTest, ParsesAndRefusesAmbiguity) {
  auto params = ParseQuery("secretId=a%2Fb&versionStage=AWSCURRENT&&flag&x=1+2");
  ASSERT_THAT(params, IsOk());
  EXPECT_EQ(FindParam(*params, "secretId"), "a/b");
  EXPECT_EQ(FindParam(*params, "versionStage"), "AWSCURRENT");
  EXPECT_EQ(FindParam(*params, "flag"), "");
  EXPECT_EQ(FindParam(*params, "x"), "1 2");
  EXPECT_FALSE(FindParam(*params, "missing").has_value());
  EXPECT_THAT(ParseQuery("a=1&a=2"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a=%"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a%00=1"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery(""), IsOk());
}

TEST(IsLoopbackHostHeaderTest, LoopbackWithOrWithoutPort) {
  for (const char* good : {"localhost", "LocalHost:2773", "127.0.0.1", "127.0.0.1:2773",
                           "127.9.8.7:1", "[::1]", "[::1]:2773", "localhost."}) {
    EXPECT_TRUE(IsLoopbackHostHeader(good)) << good;
  }
  for (const char* bad : {"", "evil.example", "evil.example:2773", "localhost.evil.example",
                          "127.0.0.1.nip.io", "10.0.0.1", "[::2]", "[::1]x", "[::1]:", "::1",
                          "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:123456", "[::1"}) {
    EXPECT_FALSE(IsLoopbackHostHeader(bad)) << bad;
  }
}

TEST(AppendResponseHeadTest, OneHeadWithLengthAndConnection) {
  std::string out;
  AppendResponseHead({.status = 405,
                      .content_type = "application/json",
                      .content_length = 12,
                      .keep_alive = false,
                      .allow_get_head = true},
                     out);
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\n"
            "Content-Length: 12\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace locksmith::internal
