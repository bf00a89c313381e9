#include "rotation/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace locksmith::internal {
namespace {

using RedisClock = std::chrono::steady_clock;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Milliseconds left until `deadline`, for poll(): 0 once it has passed.
int RemainingMs(RedisClock::time_point deadline) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - RedisClock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// hiredis reply callbacks building RedisReply trees: our own objects, so that an array's announced
// size is checked before anything is allocated for it. Children live in their parent's
// `elements`, sized once when the parent is made; only a root is allocated (and freed) alone.
RedisReply* PlaceReply(const redisReadTask* task) {
  if (task->parent != nullptr) {
    auto* parent = static_cast<RedisReply*>(task->parent->obj);
    if (task->idx < 0 || static_cast<std::size_t>(task->idx) >= parent->elements.size()) {
      return nullptr;
    }
    return &parent->elements[static_cast<std::size_t>(task->idx)];
  }
  return new (std::nothrow) RedisReply();
}

void* CreateRedisString(const redisReadTask* task, char* str, std::size_t len) {
  RedisReply* reply = PlaceReply(task);
  if (reply == nullptr) {
    return nullptr;
  }
  reply->type = task->type == REDIS_REPLY_ERROR    ? RedisReply::Type::kError
                : task->type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                   : RedisReply::Type::kString;
  reply->text.assign(str, len);
  return reply;
}

void* CreateRedisArray(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > RedisConnection::kMaxReplyElements) {
    return nullptr;  // hiredis reports it as out of memory: a reply we refuse
  }
  RedisReply* reply = PlaceReply(task);
  if (reply == nullptr) {
    return nullptr;
  }
  reply->type = RedisReply::Type::kArray;
  reply->elements.resize(static_cast<std::size_t>(elements));
  return reply;
}

void* CreateRedisInteger(const redisReadTask* task, long long value) {
  RedisReply* reply = PlaceReply(task);
  if (reply == nullptr) {
    return nullptr;
  }
  reply->type = RedisReply::Type::kInteger;
  reply->integer = value;
  return reply;
}

void* CreateRedisNil(const redisReadTask* task) {
  RedisReply* reply = PlaceReply(task);
  if (reply != nullptr) {
    reply->type = RedisReply::Type::kNil;
  }
  return reply;
}

void FreeRedisReply(void* reply) { delete static_cast<RedisReply*>(reply); }

redisReplyObjectFunctions kRedisReplyFunctions = {
    CreateRedisString, CreateRedisArray, CreateRedisInteger, CreateRedisNil, FreeRedisReply};

std::string EndpointName(const RedisEndpoint& endpoint) {
  if (!endpoint.unix_socket.empty()) {
    return "unix:" + endpoint.unix_socket;
  }
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

// "*<n>\r\n$<len>\r\n<arg>\r\n...": the RESP framing of a command, in wiped memory.
SecretValue FrameCommand(const std::vector<std::string_view>& args) {
  auto header = [](char kind, std::size_t n) { return kind + std::to_string(n) + "\r\n"; };
  std::size_t size = header('*', args.size()).size();
  for (std::string_view arg : args) {
    size += header('$', arg.size()).size() + arg.size() + 2;
  }
  SecretValue frame = SecretValue::Zeroed(size);
  char* out = reinterpret_cast<char*>(frame.MutableBytesUnsafe().data());
  auto put = [&out](std::string_view bytes) {
    if (!bytes.empty()) {
      std::memcpy(out, bytes.data(), bytes.size());
      out += bytes.size();
    }
  };
  put(header('*', args.size()));
  for (std::string_view arg : args) {
    put(header('$', arg.size()));
    put(arg);
    put("\r\n");
  }
  return frame;
}

}  // namespace

std::string_view RedisErrorPrefix(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kError) {
    return {};
  }
  std::string_view text = reply.text;
  std::size_t n = 0;
  while (n < text.size() && n < 32 && text[n] >= 'A' && text[n] <= 'Z') {
    ++n;
  }
  if (n < text.size() && text[n] != ' ') {
    return {};
  }
  return text.substr(0, n);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisEndpoint& endpoint) {
  const timeval tv = ToTimeval(endpoint.timeout);
  redisContext* context = endpoint.unix_socket.empty()
                              ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                              : redisConnectUnixWithTimeout(endpoint.unix_socket.c_str(), tv);
  if (context == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "cannot allocate a Redis connection");
  }
  if (context->err != 0) {
    // hiredis's text here is the operating system's ("Connection refused"), never the server's.
    const bool timed_out = std::strstr(context->errstr, "timed out") != nullptr;
    Error error =
        MakeError(timed_out ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable,
                  "cannot connect to Redis at " + EndpointName(endpoint) + ": " + context->errstr);
    redisFree(context);
    return error;
  }
  // Bounds a blocked send; reads wait in poll() against each command's deadline.
  redisSetTimeout(context, tv);
  context->reader->fn = &kRedisReplyFunctions;
  return std::unique_ptr<RedisConnection>(new RedisConnection(context, endpoint.timeout));
}

RedisConnection::RedisConnection(redisContext* context, std::chrono::milliseconds timeout)
    : context_(context), timeout_(timeout) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

Error RedisConnection::Broken(Error error) {
  broken_ = true;
  return error;
}

Result<void> RedisConnection::Send(const SecretValue& frame, RedisClock::time_point deadline) {
  std::string_view rest = frame.RevealUnsafe();
  while (!rest.empty()) {
    pollfd pfd{context_->fd, POLLOUT, 0};
    const int ready = poll(&pfd, 1, RemainingMs(deadline));
    if (ready == 0) {
      return Broken(
          MakeError(ErrorCode::kDeadlineExceeded, "Redis did not accept the command in time"));
    }
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    const ssize_t sent =
        ready < 0 ? -1 : ::send(context_->fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return Broken(MakeError(ErrorCode::kUnavailable,
                              std::string("sending to Redis failed: ") + std::strerror(errno)));
    }
    rest.remove_prefix(static_cast<std::size_t>(sent));
  }
  return {};
}

Result<RedisReply> RedisConnection::Receive(RedisClock::time_point deadline) {
  std::size_t received = 0;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
      // A protocol error, or a reply we refused to build (kMaxReplyElements).
      return Broken(MakeError(ErrorCode::kUnavailable,
                              "malformed or oversized reply from Redis (not a RESP2 reply this "
                              "client accepts)"));
    }
    if (raw != nullptr) {
      std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
      return std::move(*reply);
    }
    if (received > kMaxReplyBytes) {
      return Broken(MakeError(
          ErrorCode::kUnavailable,
          "reply from Redis larger than " + std::to_string(kMaxReplyBytes) + " bytes: refused"));
    }
    pollfd pfd{context_->fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, RemainingMs(deadline));
    if (ready == 0) {
      return Broken(
          MakeError(ErrorCode::kDeadlineExceeded,
                    "no reply from Redis within " + std::to_string(timeout_.count()) + " ms"));
    }
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Broken(MakeError(ErrorCode::kUnavailable, "waiting for Redis failed"));
    }
    const std::size_t before = context_->reader->len;
    if (redisBufferRead(context_) != REDIS_OK) {
      return Broken(
          MakeError(ErrorCode::kUnavailable, context_->err == REDIS_ERR_EOF
                                                 ? std::string("Redis closed the connection")
                                                 : std::string("reading from Redis failed")));
    }
    received += context_->reader->len - before;
  }
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& args) {
  if (broken_) {
    return MakeError(ErrorCode::kUnavailable, "the Redis connection failed earlier");
  }
  const auto deadline = RedisClock::now() + timeout_;
  if (auto sent = Send(FrameCommand(args), deadline); !sent.ok()) {
    return sent.error();
  }
  return Receive(deadline);
}

Result<void> RedisConnection::Auth(std::string_view username, const SecretValue& password) {
  std::vector<std::string_view> args = {"AUTH"};
  if (!username.empty() && username != "default") {
    args.push_back(username);
  }
  args.push_back(password.RevealUnsafe());
  auto reply = Command(args);
  if (!reply.ok()) {
    return reply.error();
  }
  if (reply->type == RedisReply::Type::kError) {
    const std::string_view prefix = RedisErrorPrefix(*reply);
    return MakeError(ErrorCode::kUnauthenticated,
                     "Redis refused AUTH as '" +
                         std::string(username.empty() ? "default" : username) + "' (" +
                         std::string(prefix.empty() ? "error" : prefix) + ")");
  }
  return {};
}

}  // namespace locksmith::internal
