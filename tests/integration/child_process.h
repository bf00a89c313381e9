// ChildProcess: runs a program with an exact argv and environment (posix_spawn), feeds its stdin
// and captures stdout and stderr. Every argv ever spawned is recorded so tests can check that no
// secret value was passed on a command line.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace locksmith::testing {

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number
  std::string out;
  std::string err;
};

inline std::vector<std::vector<std::string>>& SpawnedArgvs() {
  static std::vector<std::vector<std::string>> argvs;
  return argvs;
}

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    SpawnedArgvs().push_back(argv);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) {
      envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
  }

  ~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    for (int fd : {stdin_, stdout_, stderr_}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  void WriteStdinAndClose(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(stdin_, data.data(), data.size());
      if (n <= 0) {
        break;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    CloseStdin();
  }
  void CloseStdin() {
    if (stdin_ >= 0) {
      ::close(stdin_);
      stdin_ = -1;
    }
  }

  // Reads output until `stderr` contains `needle` or the deadline passes. Returns whether found.
  bool WaitForStderr(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (err_.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !PollOnce(static_cast<int>(left.count()))) {
        return err_.find(needle) != std::string::npos;
      }
    }
    return true;
  }

  // The same for stdout (a service printing the port it listens on).
  bool WaitForStdout(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !PollOnce(static_cast<int>(left.count()))) {
        return out_.find(needle) != std::string::npos;
      }
    }
    return true;
  }

  // Sends `signal` (e.g. SIGTERM for a clean stop before Finish).
  void Signal(int signal) {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, signal);
    }
  }

  // Reads both pipes to EOF and reaps the child.
  ProcessResult Finish() {
    CloseStdin();
    while (PollOnce(30000)) {
    }
    Wait();
    return {exit_code_.value_or(-1), out_, err_};
  }

  const std::string& err_so_far() const { return err_; }
  const std::string& out_so_far() const { return out_; }

 private:
  // One poll round; false once both pipes reached EOF (or on timeout).
  bool PollOnce(int timeout_ms) {
    pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
    if (stdout_ < 0 && stderr_ < 0) {
      return false;
    }
    int ready = ::poll(fds, 2, timeout_ms);
    if (ready <= 0) {
      return false;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        ::close(fds[i].fd);
        (i == 0 ? stdout_ : stderr_) = -1;
      } else {
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      }
    }
    return true;
  }

  void Wait() {
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
};

}  // namespace locksmith::testing
