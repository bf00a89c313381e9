#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/redis_credential_server.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseRedisUrlTest, HostPortUserAndPassword) {
  auto options = ParseRedisUrl("redis://admin:s3cr%40t@cache.internal:6380");
  ASSERT_TRUE(options.ok()) << options.error().ToString();
  EXPECT_EQ(options->host, "cache.internal");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->admin_username, "admin");
  EXPECT_TRUE(options->admin_password.Equals("s3cr@t"));
  EXPECT_TRUE(options->unix_socket.empty());
}

TEST(ParseRedisUrlTest, DefaultsAndPasswordOnly) {
  auto bare = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 6379);
  EXPECT_EQ(bare->admin_username, "default");
  EXPECT_TRUE(bare->admin_password.empty());
  // As redis-cli: userinfo without a colon is the password, never a user name.
  auto password_only = ParseRedisUrl("redis://onlypw@127.0.0.1/");
  ASSERT_TRUE(password_only.ok());
  EXPECT_EQ(password_only->admin_username, "default");
  EXPECT_TRUE(password_only->admin_password.Equals("onlypw"));
  auto empty_user = ParseRedisUrl("redis://:pw@[::1]:7000");
  ASSERT_TRUE(empty_user.ok());
  EXPECT_EQ(empty_user->host, "::1");
  EXPECT_EQ(empty_user->port, 7000);
  EXPECT_EQ(empty_user->admin_username, "default");
}

TEST(ParseRedisUrlTest, UnixSocket) {
  auto options = ParseRedisUrl("unix:///run/redis/redis.sock");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->unix_socket, "/run/redis/redis.sock");
  auto with_auth = ParseRedisUrl("unix://admin:pw@/tmp/r.sock");
  ASSERT_TRUE(with_auth.ok());
  EXPECT_EQ(with_auth->unix_socket, "/tmp/r.sock");
  EXPECT_EQ(with_auth->admin_username, "admin");
}

TEST(ParseRedisUrlTest, RejectsEverythingElseWithoutQuotingThePassword) {
  const std::string needle = "Pw-needle-93x";
  for (const std::string& url :
       {"http://u:" + needle + "@h", "rediss://u:" + needle + "@h", "redis://u:" + needle + "@",
        "redis://u:" + needle + "@h:0", "redis://u:" + needle + "@h:65536",
        "redis://u:" + needle + "@h:12x",
        "redis://u:" + needle + "@h:", "redis://u:" + needle + "@h/0?x",
        "redis://u:" + needle + "%zz@h", "unix://u:" + needle + "@relative.sock",
        "redis://u:" + needle + "@[::1", "redis://u:" + needle + "@h h", std::string("")}) {
    auto parsed = ParseRedisUrl(url);
    ASSERT_FALSE(parsed.ok()) << "accepted a bad URL";
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(parsed.error().message, Not(HasSubstr(needle)));
    EXPECT_THAT(parsed.error().message, HasSubstr("Redis URL"));
  }
}

TEST(MakeRedisCredentialServerTest, RejectsBadOptions) {
  RedisCredentialServerOptions no_port;
  no_port.port = 0;
  EXPECT_EQ(MakeRedisCredentialServer(std::move(no_port)).error().code,
            ErrorCode::kInvalidArgument);
  RedisCredentialServerOptions no_timeout;
  no_timeout.timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(MakeRedisCredentialServer(std::move(no_timeout)).error().code,
            ErrorCode::kInvalidArgument);
  auto ok = MakeRedisCredentialServer(RedisCredentialServerOptions{});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->Kind(), "redis");
}

}  // namespace
}  // namespace locksmith
