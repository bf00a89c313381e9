// ServiceRedisServer: a throwaway redis-server for the example service's test (Debian
// `redis-server`): unix socket only (port 0), no persistence, ACL users from the config file
// (passwords in the file, never in argv), stopped on destruction. A minimal local helper: a shared
// tests/support/redis_server may replace it.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "integration/child_process.h"

namespace locksmith::testing {

class ServiceRedisServer {
 public:
  // `users`: ACL lines ("user app on >pw ~* &* +@all"); the default user is turned off.
  ServiceRedisServer(const std::filesystem::path& dir, const std::vector<std::string>& users)
      : socket_((dir / "redis.sock").string()) {
    const std::filesystem::path conf = dir / "redis.conf";
    {
      std::ofstream out(conf);
      out << "port 0\nunixsocket " << socket_ << "\nunixsocketperm 700\ndir " << dir.string()
          << "\nsave \"\"\nappendonly no\ndaemonize no\nuser default off\n";
      for (const std::string& user : users) {
        out << user << "\n";
      }
    }
    std::filesystem::permissions(
        conf, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/redis-server", conf.string()},
        std::vector<std::string>{});
    ready_ = child_->started() &&
             child_->WaitForStdout("ready to accept connections", std::chrono::seconds(20));
  }
  ~ServiceRedisServer() {
    if (child_) {
      child_->Signal(SIGKILL);
      child_->Finish();
    }
  }

  bool ready() const { return ready_; }
  const std::string& socket() const { return socket_; }
  // Startup output, for a failure message.
  std::string output() const { return child_->out_so_far() + child_->err_so_far(); }

  // Runs one command as `user`; the reply as text ("OK", "(integer) 3", "ERR ...").
  std::string Command(const std::string& user, const std::string& password,
                      const std::vector<std::string>& argv) const {
    redisContext* c = redisConnectUnix(socket_.c_str());
    if (c == nullptr || c->err != 0) {
      if (c != nullptr) {
        redisFree(c);
      }
      return "connect failed";
    }
    std::string out = Run(c, {"AUTH", user, password});
    if (out == "OK") {
      out = Run(c, argv);
    }
    redisFree(c);
    return out;
  }

 private:
  static std::string Run(redisContext* c, const std::vector<std::string>& argv) {
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

  std::string socket_;
  std::unique_ptr<ChildProcess> child_;
  bool ready_ = false;
};

}  // namespace locksmith::testing
