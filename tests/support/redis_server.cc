#include "support/redis_server.h"

#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace locksmith::testing {
namespace {

constexpr const char* kRedisServerBinary = "/usr/bin/redis-server";

// Whether the unix socket accepts a connection yet.
bool RedisSocketAccepts(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<RedisServer>> RedisServer::Start(
    const std::string& admin_password, const std::vector<std::string>& extra_config) {
  if (::access(kRedisServerBinary, X_OK) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no /usr/bin/redis-server (apt-get install redis-server)");
  }
  std::unique_ptr<RedisServer> server(new RedisServer());
  // Under /tmp: a unix socket path is limited to ~107 bytes.
  std::string tmpl = "/tmp/lsredis-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return MakeError(ErrorCode::kInternal, "mkdtemp failed");
  }
  server->dir_ = tmpl;
  server->socket_ = server->dir_ / "redis.sock";
  const std::filesystem::path conf_path = server->dir_ / "redis.conf";
  {
    std::ofstream conf(conf_path);
    conf << "port 0\n"
         << "unixsocket " << server->socket_.string() << "\n"
         << "unixsocketperm 700\n"
         << "dir " << server->dir_.string() << "\n"
         << "logfile " << (server->dir_ / "log").string() << "\n"
         << "save \"\"\nappendonly no\ndaemonize no\n"
         << "user default off\n"
         << "user admin on >" << admin_password << " ~* &* +@all\n";
    for (const std::string& line : extra_config) {
      conf << line << "\n";
    }
    if (!conf) {
      return MakeError(ErrorCode::kInternal, "cannot write redis.conf");
    }
  }
  ::chmod(conf_path.c_str(), 0600);
  std::string binary = kRedisServerBinary;
  std::string conf_arg = conf_path.string();
  char* argv[] = {binary.data(), conf_arg.data(), nullptr};
  pid_t pid = -1;
  if (const int rc = posix_spawn(&pid, kRedisServerBinary, nullptr, nullptr, argv, environ);
      rc != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string("posix_spawn redis-server: ") + std::strerror(rc));
  }
  server->pid_ = pid;
  // Waits for the server to listen (a real event, bounded); a server that exits is reported.
  for (int attempt = 0; attempt < 2000; ++attempt) {
    if (RedisSocketAccepts(server->socket_)) {
      return server;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return MakeError(ErrorCode::kInternal, "redis-server exited at start: " + server->LogText());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return MakeError(ErrorCode::kDeadlineExceeded,
                   "redis-server did not listen within 20 s: " + server->LogText());
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);  // nothing to save: a throwaway server
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::LogText() const {
  std::ifstream log(dir_ / "log");
  std::ostringstream text;
  text << log.rdbuf();
  return text.str();
}

}  // namespace locksmith::testing
