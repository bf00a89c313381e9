// RedisCommand: one command to a test redis-server (tests/support/redis_server.h) over its unix
// socket as an ACL user, through hiredis, the reply as text. The example service's test uses it
// to act as an operator (ACL SETUSER, CLIENT KILL) while the service runs.
#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <string>
#include <vector>

namespace locksmith::testing {

namespace redis_command_detail {

inline std::string RunArgv(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  if (reply == nullptr) {
    return "connection lost";
  }
  std::string out;
  if (reply->type == REDIS_REPLY_INTEGER) {
    out = "(integer) " + std::to_string(reply->integer);
  } else if (reply->str != nullptr) {
    out.assign(reply->str, reply->len);
  }
  freeReplyObject(reply);
  return out;
}

}  // namespace redis_command_detail

// Runs `argv` as `user`; the reply as text ("OK", "(integer) 3", "ERR ..."), or "connect
// failed" / "connection lost".
inline std::string RedisCommand(const std::string& socket, const std::string& user,
                                const std::string& password, const std::vector<std::string>& argv) {
  redisContext* c = redisConnectUnix(socket.c_str());
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) {
      redisFree(c);
    }
    return "connect failed";
  }
  std::string out = redis_command_detail::RunArgv(c, {"AUTH", user, password});
  if (out == "OK") {
    out = redis_command_detail::RunArgv(c, argv);
  }
  redisFree(c);
  return out;
}

}  // namespace locksmith::testing
