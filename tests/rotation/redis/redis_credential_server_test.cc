#include "locksmith/redis_credential_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto.h"
#include "rotation/redis/redis_connection.h"
#include "support/log_capture.h"
#include "support/redis_server.h"

namespace locksmith {
namespace {

using internal::RedisConnection;
using internal::RedisEndpoint;
using internal::RedisReply;
using ::testing::HasSubstr;

constexpr const char* kRedisAdminPw = "admin-needle-pw-5Kq";
constexpr const char* kAppOldPw = "old-needle-pw-7Hx";
constexpr const char* kAppNewPw = "new-needle-pw-2Zr";
constexpr const char* kAppWrongPw = "wrong-needle-pw-9Tb";
constexpr const char* kLimitedPw = "limited-needle-pw-4Mw";

Credential RedisCred(std::string user, const char* password) {
  return Credential{std::move(user), SecretValue(password), "v"};
}

class RedisCredentialServerTest : public ::testing::Test {
 protected:
  void StartRedis(const std::vector<std::string>& extra_config = {}) {
    auto started = testing::RedisServer::Start(kRedisAdminPw, extra_config);
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    redis_ = std::move(*started);
  }

  void SetUp() override {
    StartRedis();
    // The application's user and one without ACL rights, through the admin connection.
    AdminCommand(
        {"ACL", "SETUSER", "app", "on", std::string(">") + kAppOldPw, "~*", "&*", "+@all"});
    AdminCommand({"ACL", "SETUSER", "limited", "on", std::string(">") + kLimitedPw, "+ping"});
  }

  void TearDown() override {
    captured_.push_back(logs_.Text());
    if (redis_ != nullptr) {
      captured_.push_back(redis_->LogText());
    }
    std::vector<std::string> needles = {kRedisAdminPw, kAppOldPw, kAppNewPw, kAppWrongPw,
                                        kLimitedPw};
    // Nor the hashes the ACL rules carry (Redis quotes a rule in its errors).
    for (const char* pw : {kAppOldPw, kAppNewPw}) {
      needles.push_back(internal::HexEncode(internal::Sha256(internal::AsBytes(pw))));
    }
    for (const std::string& text : captured_) {
      for (const std::string& needle : needles) {
        EXPECT_THAT(text, ::testing::Not(HasSubstr(needle)));
      }
    }
  }

  RedisEndpoint Endpoint() const {
    RedisEndpoint endpoint;
    endpoint.unix_socket = redis_->socket().string();
    return endpoint;
  }

  RedisReply AdminCommand(const std::vector<std::string>& args) {
    auto connection = RedisConnection::Connect(Endpoint());
    EXPECT_TRUE(connection.ok());
    EXPECT_TRUE((*connection)->Auth("admin", SecretValue(kRedisAdminPw)).ok());
    std::vector<std::string_view> views(args.begin(), args.end());
    auto reply = (*connection)->Command(views);
    EXPECT_TRUE(reply.ok());
    EXPECT_NE(reply->type, RedisReply::Type::kError) << reply->text;
    return *reply;
  }

  bool CanLogIn(const std::string& user, const char* password) {
    auto connection = RedisConnection::Connect(Endpoint());
    return connection.ok() && (*connection)->Auth(user, SecretValue(password)).ok();
  }

  std::unique_ptr<CredentialServer> Server(std::string admin_user = "admin",
                                           const char* admin_password = kRedisAdminPw) {
    RedisCredentialServerOptions options;
    options.unix_socket = redis_->socket().string();
    options.admin_username = std::move(admin_user);
    options.admin_password = SecretValue(admin_password);
    auto server = MakeRedisCredentialServer(std::move(options));
    EXPECT_TRUE(server.ok());
    return std::move(*server);
  }

  // Records the error for the leak scan, returns its code.
  template <typename T>
  ErrorCode CodeOf(const Result<T>& result) {
    EXPECT_FALSE(result.ok());
    if (result.ok()) {
      return ErrorCode::kInternal;
    }
    captured_.push_back(result.error().ToString());
    return result.error().code;
  }

  testing::LogCapture logs_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::vector<std::string> captured_;
  const Credential old_ = RedisCred("app", kAppOldPw);
  const Credential new_ = RedisCred("app", kAppNewPw);
};

TEST_F(RedisCredentialServerTest, NextUsernameIsTheSameUser) {
  auto server = Server();
  EXPECT_EQ(*server->NextUsername(old_), "app");
  EXPECT_EQ(CodeOf(server->NextUsername(RedisCred("", kAppOldPw))), ErrorCode::kInvalidArgument);
}

TEST_F(RedisCredentialServerTest, SetKeepsTheOldPasswordBesideTheNewAndRerunsAreHarmless) {
  auto server = Server();
  ASSERT_TRUE(server->Set(old_, new_).ok());
  ASSERT_TRUE(server->Set(old_, new_).ok());  // a rerun after a crash
  EXPECT_TRUE(CanLogIn("app", kAppOldPw));
  EXPECT_TRUE(CanLogIn("app", kAppNewPw));
  RedisReply user = AdminCommand({"ACL", "GETUSER", "app"});
  ASSERT_EQ(user.elements[3].elements.size(), 2u);  // "passwords": two, not three
}

TEST_F(RedisCredentialServerTest, TestAcceptsTheNewPasswordAndRefusesAWrongOne) {
  auto server = Server();
  ASSERT_TRUE(server->Set(old_, new_).ok());
  EXPECT_TRUE(server->Test(new_).ok());
  EXPECT_EQ(CodeOf(server->Test(RedisCred("app", kAppWrongPw))), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(server->Test(RedisCred("nobody", kAppNewPw))), ErrorCode::kUnauthenticated);
}

TEST_F(RedisCredentialServerTest, RetirePreviousRemovesOnlyTheOldPassword) {
  auto server = Server();
  ASSERT_TRUE(server->Set(old_, new_).ok());
  EXPECT_TRUE(*server->PreviousStillValid(old_, new_));
  ASSERT_TRUE(server->RetirePrevious(old_, new_).ok());
  EXPECT_FALSE(*server->PreviousStillValid(old_, new_));
  EXPECT_FALSE(CanLogIn("app", kAppOldPw));
  EXPECT_TRUE(CanLogIn("app", kAppNewPw));
  // A rerun: Redis answers an error for removing an absent password; we do not ask it to.
  ASSERT_TRUE(server->RetirePrevious(old_, new_).ok());
  EXPECT_TRUE(CanLogIn("app", kAppNewPw));
}

TEST_F(RedisCredentialServerTest, RetireNeverRemovesTheCurrentPassword) {
  auto server = Server();
  EXPECT_FALSE(*server->PreviousStillValid(old_, old_));
  ASSERT_TRUE(server->RetirePrevious(old_, old_).ok());
  EXPECT_TRUE(CanLogIn("app", kAppOldPw));
}

TEST_F(RedisCredentialServerTest, RetireRefusesWhileTheCurrentPasswordIsNotSet) {
  auto server = Server();
  // `new_` promoted in the store but never set on the server: removing the old password would
  // leave the user with none the clients know.
  EXPECT_EQ(CodeOf(server->RetirePrevious(old_, new_)), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(CanLogIn("app", kAppOldPw));
}

TEST_F(RedisCredentialServerTest, SetNeedsAnExistingEnabledUser) {
  auto server = Server();
  EXPECT_EQ(CodeOf(server->Set(RedisCred("ghost", kAppOldPw), RedisCred("ghost", kAppNewPw))),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(AdminCommand({"ACL", "GETUSER", "ghost"}).type, RedisReply::Type::kNil);
  AdminCommand({"ACL", "SETUSER", "app", "off"});
  EXPECT_EQ(CodeOf(server->Set(old_, new_)), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(CanLogIn("app", kAppNewPw));
  EXPECT_THAT(captured_.back(), HasSubstr("off"));
}

TEST_F(RedisCredentialServerTest, WrongAdminPasswordIsUnauthenticated) {
  auto server = Server("admin", kAppWrongPw);
  EXPECT_EQ(CodeOf(server->Set(old_, new_)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(server->PreviousStillValid(old_, new_)), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(server->RetirePrevious(old_, new_)), ErrorCode::kUnauthenticated);
  EXPECT_THAT(captured_.back(), HasSubstr("admin"));
}

TEST_F(RedisCredentialServerTest, AdminWithoutAclRightsIsPermissionDenied) {
  auto server = Server("limited", kLimitedPw);
  EXPECT_EQ(CodeOf(server->Set(old_, new_)), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(server->RetirePrevious(old_, new_)), ErrorCode::kPermissionDenied);
  EXPECT_THAT(captured_.back(), HasSubstr("NOPERM"));
  EXPECT_FALSE(CanLogIn("app", kAppNewPw));
}

TEST_F(RedisCredentialServerTest, RedisWithoutAclSaysSo) {
  redis_.reset();
  StartRedis({"rename-command ACL \"\""});
  auto server = Server();
  EXPECT_EQ(CodeOf(server->Set(old_, new_)), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(captured_.back(), HasSubstr("Redis 6 or later with ACL users is needed"));
  EXPECT_EQ(CodeOf(server->PreviousStillValid(old_, new_)), ErrorCode::kFailedPrecondition);
}

TEST_F(RedisCredentialServerTest, UnreachableServerIsUnavailable) {
  RedisCredentialServerOptions options;
  options.unix_socket = redis_->socket().string() + ".gone";
  options.admin_password = SecretValue(kRedisAdminPw);
  auto server = MakeRedisCredentialServer(std::move(options));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(CodeOf((*server)->Set(old_, new_)), ErrorCode::kUnavailable);
  EXPECT_EQ(CodeOf((*server)->Test(new_)), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace locksmith
