// RedisConnection: a small blocking RESP2 client for the rotation's few commands, over hiredis's
// connect and reply parser. Commands are framed here (binary-safe, never a format string) in a
// buffer that is wiped after sending, so an AUTH password is never left in freed memory. Every
// read is bounded: a deadline per command, at most kMaxReplyBytes received per reply and
// kMaxReplyElements per array (hiredis 0.14 would otherwise allocate what the server announces).
// Not thread-safe; one connection per call of the credential server.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

struct redisContext;

namespace locksmith::internal {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // non-empty: used instead of host:port
  std::chrono::milliseconds timeout{5000};
};

// One reply, as parsed (our own type, so no hiredis type leaves redis_connection.cc).
struct RedisReply {
  enum class Type { kString, kStatus, kError, kInteger, kNil, kArray };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError (which may quote the command's arguments)
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

class RedisConnection {
 public:
  static constexpr std::size_t kMaxReplyBytes = 1 << 20;
  static constexpr int kMaxReplyElements = 4096;

  // kUnavailable when the server cannot be reached (the message names the endpoint only),
  // kDeadlineExceeded when connecting takes longer than the timeout.
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisEndpoint& endpoint);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and reads its reply. An error reply is a reply (Type::kError) for the caller
  // to interpret; only transport failures are errors here: kDeadlineExceeded, kUnavailable
  // (closed, malformed, too large). After a failure the connection is unusable.
  Result<RedisReply> Command(const std::vector<std::string_view>& args);

  // AUTH [username] password; an empty username or "default" sends the one-argument form, which
  // Redis before 6 understands too. kUnauthenticated when refused (no server text).
  Result<void> Auth(std::string_view username, const SecretValue& password);

 private:
  explicit RedisConnection(redisContext* context, std::chrono::milliseconds timeout);
  Result<void> Send(const SecretValue& frame, std::chrono::steady_clock::time_point deadline);
  Result<RedisReply> Receive(std::chrono::steady_clock::time_point deadline);
  Error Broken(Error error);

  redisContext* context_;
  std::chrono::milliseconds timeout_;
  bool broken_ = false;
};

// The leading upper-case word of an error reply ("ERR", "WRONGPASS", "NOPERM"), or "" when there
// is none: the only part of a server error that goes into our messages.
std::string_view RedisErrorPrefix(const RedisReply& reply);

}  // namespace locksmith::internal
