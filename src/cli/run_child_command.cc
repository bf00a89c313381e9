#include "cli/run_child_command.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string_view>

#include "cli/child_process.h"
#include "cli/commands.h"
#include "cli/supervisor.h"
#include "locksmith/duration.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith {
namespace {

// A file descriptor closed when it goes out of scope.
class RunFd {
 public:
  explicit RunFd(int fd) : fd_(fd) {}
  RunFd(const RunFd&) = delete;
  RunFd& operator=(const RunFd&) = delete;
  ~RunFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<SupervisorOptions> SupervisorOptionsFrom(const RunChildOptions& options) {
  SupervisorOptions out;
  if (options.restart_on_change && !options.signal_on_change.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--restart-on-change and --signal-on-change exclude each other");
  }
  if (options.restart_on_change) {
    out.on_change = ChangeAction::kRestart;
  } else if (!options.signal_on_change.empty()) {
    out.on_change = ChangeAction::kSignal;
    LOCKSMITH_ASSIGN_OR_RETURN(out.change_signal, ParseSignalName(options.signal_on_change));
  }
  auto jitter = ParseDuration(options.change_jitter);
  if (!jitter.ok()) {
    return MakeError(ErrorCode::kInvalidArgument, "--change-jitter: " + jitter.error().message);
  }
  out.change_jitter = *jitter;
  auto kill_timeout = ParseDuration(options.kill_timeout);
  if (!kill_timeout.ok()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--kill-timeout: " + kill_timeout.error().message);
  }
  out.kill_timeout = *kill_timeout;
  return out;
}

int RunExitCodeOfStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

int RunPollTimeoutMs(const Supervisor& supervisor) {
  const auto next = supervisor.NextDeadline();
  if (!next) {
    return -1;
  }
  const auto left = *next - SystemClock().Now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    return 0;
  }
  // Rounded up, so the loop does not wake just before the deadline and spin.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

// The loop: signals (signalfd), rotations (an eventfd the subscriptions write to) and the
// supervisor's deadlines, until the supervisor says run is done.
int Supervise(Supervisor& supervisor, SpawnedChild& child, int signal_fd, int changed_fd) {
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {changed_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, RunPollTimeoutMs(supervisor));
    if (ready < 0 && errno != EINTR) {
      Logger()->error("run: poll failed: {}", std::strerror(errno));
      supervisor.OnSignal(SIGTERM);
    }
    if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      (void)::read(changed_fd, &count, sizeof(count));
      supervisor.OnSecretsChanged();
    }
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo != SIGCHLD) {
          supervisor.OnSignal(static_cast<int>(info.ssi_signo));
          continue;
        }
        // SIGCHLD: the child stopped or exited. Others' exits are not ours to reap.
        int status = 0;
        pid_t pid = child.pid();
        while (pid > 0 && ::waitpid(pid, &status, WNOHANG | WUNTRACED) == pid) {
          if (WIFSTOPPED(status)) {
            child.OnChildStopped();
            continue;
          }
          child.MarkExited();
          const int code = RunExitCodeOfStatus(status);
          Logger()->info("run: the command exited ({})", code);
          if (std::optional<int> done = supervisor.OnChildExited(code)) {
            return *done;
          }
          pid = child.pid();
        }
      }
    }
    supervisor.OnTick();
  }
}

}  // namespace

int RunChildCommand(SecretsManager& manager, const RunChildOptions& options, std::ostream& err) {
  if (options.command.empty()) {
    return ReportError(MakeError(ErrorCode::kInvalidArgument,
                                 "run: no command given; usage: locksmith run [flags] -- CMD ARGS"),
                       err);
  }
  auto supervisor_options = SupervisorOptionsFrom(options);
  if (!supervisor_options.ok()) {
    return ReportError(supervisor_options.error(), err);
  }
  auto secrets = SelectRunSecrets(manager, options.secrets, options.env_file_names);
  if (!secrets.ok()) {
    return ReportError(secrets.error(), err);
  }
  SecretFilesDirPtr files;
  if (!options.secret_files.empty()) {
    auto created = SecretFilesDir::Create(options.secret_files);
    if (!created.ok()) {
      return ReportError(created.error(), err);
    }
    files = *std::move(created);
  }

  const sigset_t signals = RunSignalSet();
  RunFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  RunFd changed_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (signal_fd.get() < 0 || changed_fd.get() < 0) {
    return ReportError(MakeError(ErrorCode::kInternal, "run: cannot create signalfd/eventfd"), err);
  }
  SpawnedChild child(manager, options.command, *secrets, files.get());
  Supervisor supervisor(child, SystemClock(), SystemRandom(), *supervisor_options);
  // Subscribed before the first start, so no rotation between reading the secrets and
  // subscribing goes unseen (one seen in that window costs a needless restart or signal).
  std::vector<SubscriptionPtr> subscriptions;
  if (supervisor_options->on_change != ChangeAction::kNone || files != nullptr) {
    std::set<std::string, std::less<>> refs;
    for (const RunSecret& secret : *secrets) {
      if (!refs.insert(secret.ref).second) {
        continue;
      }
      const int fd = changed_fd.get();
      subscriptions.push_back(manager.Subscribe(secret.ref, [fd](const SecretUpdate& update) {
        Logger()->info("run: {} has a new version", update.ref);
        const std::uint64_t one = 1;
        (void)::write(fd, &one, sizeof(one));
      }));
    }
  }
  if (std::optional<StartFailure> failed = supervisor.Start()) {
    ReportError(failed->error, err);
    return failed->exit_code;
  }
  const int code = Supervise(supervisor, child, signal_fd.get(), changed_fd.get());
  subscriptions.clear();  // before the eventfd closes
  return code;
}

}  // namespace locksmith
