#include "rotation/redis/redis_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace locksmith::internal {
namespace {

using ::testing::HasSubstr;

// A one-connection fake Redis on a unix socket: reads the command, writes `answer` (as much of
// it as the client takes), then waits for the client to close. Everything it does ends when the
// client closes, so no test waits on time except the deadline test's own bound.
class CannedRedis {
 public:
  explicit CannedRedis(std::string answer, bool close_after_answer = false)
      : answer_(std::move(answer)), close_after_answer_(close_after_answer) {
    path_ = dir_.path() / "fake.sock";
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedRedis() {
    thread_.join();
    ::close(listener_);
  }

  RedisEndpoint Endpoint(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    RedisEndpoint endpoint;
    endpoint.unix_socket = path_.string();
    endpoint.timeout = timeout;
    return endpoint;
  }

 private:
  void Serve() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    char buf[4096];
    (void)::read(fd, buf, sizeof(buf));
    std::string_view rest = answer_;
    while (!rest.empty()) {
      const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        break;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    while (!close_after_answer_ && ::read(fd, buf, sizeof(buf)) > 0) {
    }
    ::close(fd);
  }

  locksmith::testing::TempDir dir_;
  std::filesystem::path path_;
  int listener_ = -1;
  std::string answer_;
  bool close_after_answer_;
  std::thread thread_;
};

Result<RedisReply> PingOnce(const RedisEndpoint& endpoint) {
  auto connection = RedisConnection::Connect(endpoint);
  if (!connection.ok()) {
    return connection.error();
  }
  return (*connection)->Command({"PING"});
}

TEST(RedisConnectionTest, ParsesNestedReplies) {
  CannedRedis fake("*3\r\n$3\r\nabc\r\n:42\r\n*1\r\n$-1\r\n");
  auto reply = PingOnce(fake.Endpoint());
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_EQ(reply->type, RedisReply::Type::kArray);
  ASSERT_EQ(reply->elements.size(), 3u);
  EXPECT_EQ(reply->elements[0].text, "abc");
  EXPECT_EQ(reply->elements[1].integer, 42);
  EXPECT_EQ(reply->elements[2].elements[0].type, RedisReply::Type::kNil);
}

TEST(RedisConnectionTest, ReplyLargerThanTheBoundIsRefused) {
  const std::size_t size = RedisConnection::kMaxReplyBytes * 2;
  CannedRedis fake("$" + std::to_string(size) + "\r\n" + std::string(size, 'x') + "\r\n");
  auto reply = PingOnce(fake.Endpoint());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(reply.error().message, HasSubstr("larger than"));
}

TEST(RedisConnectionTest, ArrayAnnouncingTooManyElementsIsRefusedBeforeAllocating) {
  // hiredis 0.14's own reply objects would calloc 2^31 pointers for this header.
  CannedRedis fake("*2147483647\r\n");
  auto reply = PingOnce(fake.Endpoint());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(reply.error().message, HasSubstr("malformed or oversized"));
}

TEST(RedisConnectionTest, MalformedReplyIsAnError) {
  CannedRedis fake("?what\r\n");
  auto reply = PingOnce(fake.Endpoint());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
}

TEST(RedisConnectionTest, SilentServerHitsTheDeadline) {
  CannedRedis fake("");
  auto reply = PingOnce(fake.Endpoint(std::chrono::milliseconds(200)));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kDeadlineExceeded);
}

TEST(RedisConnectionTest, ClosedConnectionIsUnavailable) {
  CannedRedis fake("$10\r\nabc", /*close_after_answer=*/true);  // half a reply, then gone
  auto reply = PingOnce(fake.Endpoint());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(reply.error().message, HasSubstr("closed"));
}

TEST(RedisConnectionTest, UnreachableServerIsUnavailable) {
  locksmith::testing::TempDir dir;
  RedisEndpoint endpoint;
  endpoint.unix_socket = (dir.path() / "nobody.sock").string();
  auto connection = RedisConnection::Connect(endpoint);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(connection.error().message, HasSubstr("nobody.sock"));
}

TEST(RedisConnectionTest, ArgumentsAreBinarySafeAgainstARealServer) {
  auto server = locksmith::testing::RedisServer::Start("conn-admin-pw");
  ASSERT_TRUE(server.ok()) << server.error().ToString();
  RedisEndpoint endpoint;
  endpoint.unix_socket = (*server)->socket().string();
  auto connection = RedisConnection::Connect(endpoint);
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  ASSERT_TRUE((*connection)->Auth("admin", SecretValue("conn-admin-pw")).ok());
  const std::string value("a b\r\n$3\r\nSET\0end", 17);
  auto set = (*connection)->Command({"SET", "k ey", value});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  auto get = (*connection)->Command({"GET", "k ey"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->text, value);
  auto unknown = (*connection)->Command({"NOSUCHCOMMAND", "x"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(RedisErrorPrefix(*unknown), "ERR");
}

TEST(RedisConnectionTest, RefusedAuthSaysNothingOfThePassword) {
  auto server = locksmith::testing::RedisServer::Start("conn-admin-pw2");
  ASSERT_TRUE(server.ok()) << server.error().ToString();
  RedisEndpoint endpoint;
  endpoint.unix_socket = (*server)->socket().string();
  auto connection = RedisConnection::Connect(endpoint);
  ASSERT_TRUE(connection.ok());
  auto auth = (*connection)->Auth("admin", SecretValue("wrong-needle-61q"));
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.error().code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(auth.error().message, HasSubstr("WRONGPASS"));
  EXPECT_THAT(auth.error().message, ::testing::Not(HasSubstr("wrong-needle-61q")));
}

}  // namespace
}  // namespace locksmith::internal
