// RedisServer: a throwaway redis-server for tests (Debian's `redis-server` package). Listens only
// on a unix socket in a fresh directory under /tmp, no persistence (`save ""`, no AOF); the
// `default` user is off and an `admin` user with every permission has the given password (in the
// config file, mode 0600, never in argv). Stopped and removed on destruction. No hiredis here:
// every test binary links this file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "locksmith/result.h"

namespace locksmith::testing {

class RedisServer {
 public:
  // `extra_config`: more redis.conf lines (e.g. `rename-command ACL ""`). Waits until the socket
  // accepts connections (bounded); errors quote the server's log.
  static Result<std::unique_ptr<RedisServer>> Start(
      const std::string& admin_password, const std::vector<std::string>& extra_config = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::filesystem::path& socket() const { return socket_; }
  // The server's log so far (for leak scans).
  std::string LogText() const;

 private:
  RedisServer() = default;

  std::filesystem::path dir_;
  std::filesystem::path socket_;
  pid_t pid_ = -1;
};

}  // namespace locksmith::testing
