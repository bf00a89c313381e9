// ScriptServer: runs one of the Python test servers (tests/servers/*.py) with /usr/bin/python3 as
// a child process, reads the port it prints first on stdout (it binds 127.0.0.1 port 0), and
// stops it with SIGTERM when destroyed. The Vault and AWS test server spawners build on it.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

extern char** environ;

namespace locksmith::testing {

class ScriptServer {
 public:
  // `script`: the path of the .py file; the child inherits this process's environment.
  explicit ScriptServer(std::string script) {
    int fds[2];
    if (::pipe(fds) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    char* argv[] = {const_cast<char*>("/usr/bin/python3"), script.data(), nullptr};
    if (posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv, environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    // Blocks until the server printed its port, or exited (EOF: port stays 0).
    FILE* out = ::fdopen(fds[0], "r");
    int port = 0;
    if (out != nullptr && std::fscanf(out, "%d", &port) == 1) {
      port_ = port;
    }
    if (out != nullptr) {
      std::fclose(out);
    } else {
      ::close(fds[0]);
    }
  }

  ~ScriptServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace locksmith::testing
