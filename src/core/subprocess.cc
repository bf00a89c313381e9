#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT: POSIX

namespace locksmith::internal {
namespace {

class ChildFd {
 public:
  ChildFd() = default;
  explicit ChildFd(int fd) : fd_(fd) {}
  ChildFd(const ChildFd&) = delete;
  ChildFd& operator=(const ChildFd&) = delete;
  ~ChildFd() { Close(); }
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

// Wipes a buffer that may hold credentials, whatever path leaves the function.
struct ChildOutputBuffer {
  std::string data;
  ~ChildOutputBuffer() {
    volatile char* p = data.data();
    for (std::size_t i = 0; i < data.capacity(); ++i) {
      p[i] = 0;
    }
  }
};

// Whether `pid` exits before `deadline` (it may have closed its output and gone on running).
bool ChildExitsBefore(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  ChildFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    return true;  // no pidfd (old kernel): wait without a bound
  }
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd fd = {pidfd.get(), POLLIN, 0};
    int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return true;
    }
  }
}

int ReapChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

}  // namespace

Result<SubprocessOutput> RunSubprocess(const std::vector<std::string>& argv,
                                       const SubprocessLimits& limits) {
  if (argv.empty() || argv[0].empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty command");
  }
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kInternal, "pipe failed");
  }
  ChildFd out_read(out_pipe[0]);
  ChildFd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kInternal, "pipe failed");
  }
  ChildFd err_read(err_pipe[0]);
  ChildFd err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills what it started too; default signal handling.
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  sigset_t no_mask;
  sigemptyset(&no_mask);
  posix_spawnattr_setsigmask(&attr, &no_mask);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: the POSIX signature
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot run '" + argv[0] + "': " + std::strerror(spawned));
  }
  out_write.Close();
  err_write.Close();

  ChildOutputBuffer out;
  out.data.reserve(limits.max_stdout + 1);  // no reallocation: no unwiped copies
  std::string err;
  // A real deadline: poll(2) waits in real time, so an injected clock could not bound it.
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  bool too_large = false;
  bool timed_out = false;
  char chunk[4096];
  while (out_read.get() >= 0 || err_read.get() >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      break;
    }
    if (ready <= 0) {
      continue;
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::read(out_read.get(), chunk, sizeof(chunk));
      if (n <= 0) {
        if (n == 0 || errno != EINTR) {
          out_read.Close();
        }
      } else if (out.data.size() + static_cast<std::size_t>(n) > limits.max_stdout) {
        too_large = true;
        break;
      } else {
        out.data.append(chunk, static_cast<std::size_t>(n));
      }
      std::memset(chunk, 0, sizeof(chunk));
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::read(err_read.get(), chunk, sizeof(chunk));
      if (n <= 0) {
        if (n == 0 || errno != EINTR) {
          err_read.Close();
        }
      } else if (err.size() < limits.max_stderr) {
        err.append(chunk, std::min(static_cast<std::size_t>(n), limits.max_stderr - err.size()));
      }
      std::memset(chunk, 0, sizeof(chunk));
    }
  }
  if (!timed_out && !too_large && !ChildExitsBefore(pid, deadline)) {
    timed_out = true;
  }
  if (timed_out || too_large) {
    ::kill(-pid, SIGKILL);
    ReapChild(pid);
    if (timed_out) {
      return MakeError(ErrorCode::kDeadlineExceeded, "'" + argv[0] + "' did not finish within " +
                                                         std::to_string(limits.timeout.count()) +
                                                         " ms; killed");
    }
    return MakeError(ErrorCode::kDataLoss, "'" + argv[0] + "' wrote more than " +
                                               std::to_string(limits.max_stdout) +
                                               " bytes to stdout; killed");
  }
  SubprocessOutput output;
  output.exit_code = ReapChild(pid);
  output.stdout_text = SecretValue(out.data);
  output.stderr_text = std::move(err);
  return output;
}

}  // namespace locksmith::internal
