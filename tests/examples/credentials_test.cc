// The example service's credential parsing (examples/rotating_service/credentials.h): JSON as
// AWS's rotation templates store it, or a bare password with the rest from the flags; errors
// never quote the secret.
#include "credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rotating_service {
namespace {

using ::locksmith::ErrorCode;
using ::locksmith::SecretValue;
using ::testing::HasSubstr;
using ::testing::Not;

const DbDefaults kFlagDefaults = {"/run/pg", "5433", "appdb", "app"};

TEST(ExampleCredentialsTest, DatabaseJsonSecretOverridesTheFlags) {
  auto parsed = ParseDbCredential(
      "database-password",
      SecretValue(R"({"username":"app_b","password":"pw1","host":"db","port":6432,"dbname":"x"})"),
      kFlagDefaults);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->username, "app_b");
  EXPECT_TRUE(parsed->password.Equals("pw1"));
  EXPECT_EQ(parsed->host, "db");
  EXPECT_EQ(parsed->port, "6432");
  EXPECT_EQ(parsed->dbname, "x");
}

TEST(ExampleCredentialsTest, DatabaseJsonWithOnlyAPasswordTakesTheRestFromTheFlags) {
  auto parsed =
      ParseDbCredential("database-password", SecretValue(R"({"password":"pw2"})"), kFlagDefaults);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->username, "app");
  EXPECT_EQ(parsed->host, "/run/pg");
  EXPECT_EQ(parsed->port, "5433");
  EXPECT_EQ(parsed->dbname, "appdb");
}

TEST(ExampleCredentialsTest, BarePasswordUsesTheFlags) {
  auto parsed = ParseDbCredential("database-password", SecretValue("bare-pw"), kFlagDefaults);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_TRUE(parsed->password.Equals("bare-pw"));
  EXPECT_EQ(parsed->username, "app");
  auto redis = ParseRedisCredential("redis-password", SecretValue("bare-pw"), "svc");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->username, "svc");
  EXPECT_TRUE(redis->password.Equals("bare-pw"));
}

TEST(ExampleCredentialsTest, RedisJsonSecret) {
  auto parsed = ParseRedisCredential("redis-password",
                                     SecretValue(R"({"username":"app","password":"r1"})"), "x");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->username, "app");
  EXPECT_TRUE(parsed->password.Equals("r1"));
}

TEST(ExampleCredentialsTest, BadSecretsAreClearErrorsThatNeverQuoteTheValue) {
  const char* kPlanted = "planted-Pw-77";
  for (const std::string& text :
       {std::string(R"({"username":"app","password":")") + kPlanted,      // truncated JSON
        std::string(R"({"username":"app","pass":")") + kPlanted + "\"}",  // no password field
        std::string(R"({"password":")") + kPlanted + R"(","username":7.5})"}) {
    auto db = ParseDbCredential("database-password", SecretValue(text), kFlagDefaults);
    ASSERT_FALSE(db.ok()) << text;
    EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(db.error().message, HasSubstr("database-password"));
    EXPECT_THAT(db.error().message, Not(HasSubstr(kPlanted)));
    auto redis = ParseRedisCredential("redis-password", SecretValue(text), "app");
    ASSERT_FALSE(redis.ok()) << text;
    EXPECT_THAT(redis.error().message, Not(HasSubstr(kPlanted)));
  }
  EXPECT_FALSE(ParseDbCredential("database-password", SecretValue(""), kFlagDefaults).ok());
  EXPECT_FALSE(
      ParseDbCredential("database-password", SecretValue("pw"), {"h", "1", "", "app"}).ok());
}

}  // namespace
}  // namespace rotating_service
