// The decisions of `locksmith run` (docs/cli.md, "run"): when to start, signal, restart or kill
// the child and what run's exit code is, as a state machine over an injected ChildControl, Clock
// and Random. It touches no process itself (src/cli/run_loop.cc feeds it real signals, exits
// and rotations), so every timing rule is tested with a fake clock.
#pragma once

#include <chrono>
#include <optional>

#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "locksmith/result.h"

namespace locksmith {

// Why the command did not start, and run's exit code for that.
struct StartFailure {
  Error error;
  int exit_code = 1;
};
inline constexpr int kExitCannotExecute = 126;    // as a shell: found but not executable
inline constexpr int kExitCommandNotFound = 127;  // as a shell: no such program
// A secret that could not be read or a file that could not be written: the CLI's exit code for
// the error (docs/cli.md), e.g. 3 for a missing secret.
StartFailure StartFailureFor(Error error);

// What the supervisor does to the child. Not thread-safe: called from run's one loop.
class ChildControl {
 public:
  virtual ~ChildControl() = default;
  // Starts the command with the secrets as they are now; nullopt when it started. Fails when a
  // secret cannot be read or a file written (StartFailureFor), or when the program cannot be
  // found (kExitCommandNotFound) or executed (kExitCannotExecute).
  virtual std::optional<StartFailure> Start() = 0;
  // Sends `signal` to the running child (its process group).
  virtual void Signal(int signal) = 0;
  // Rewrites the --secret-files files with the current values (nothing without --secret-files).
  virtual Result<void> RefreshSecrets() = 0;
};

enum class ChangeAction { kNone, kRestart, kSignal };

struct SupervisorOptions {
  ChangeAction on_change = ChangeAction::kNone;
  int change_signal = 0;  // with kSignal
  // A change is acted on after a delay drawn uniformly from [0, change_jitter].
  std::chrono::milliseconds change_jitter{0};
  // How long a child asked to stop (run stopping, or a restart) has before SIGKILL.
  std::chrono::milliseconds kill_timeout{10000};
};

inline constexpr std::chrono::milliseconds kDefaultKillTimeout{10000};

class Supervisor {
 public:
  Supervisor(ChildControl& child, Clock& clock, Random& random, SupervisorOptions options);

  // Starts the child: ChildControl::Start.
  std::optional<StartFailure> Start();
  // A signal run received (anything but SIGCHLD): forwarded to the child. SIGTERM, SIGINT and
  // SIGQUIT also mean run itself should stop: the child gets kill_timeout to exit, then SIGKILL.
  void OnSignal(int signal);
  // A secret the child uses has a new version: acted on after the jitter delay; several changes
  // before that are acted on once.
  void OnSecretsChanged();
  // The child exited with `code` (its exit status, or 128 + signal). Returns run's exit code when
  // run is done: the child's code, or the StartFailure's when a restart could not start the
  // new child (logged); nullopt when a restart started a new child.
  std::optional<int> OnChildExited(int code);
  // Does what is due by now: a change action, or SIGKILL for a child past its kill timeout.
  void OnTick();
  // When OnTick next has something to do; nullopt: nothing is scheduled.
  std::optional<std::chrono::steady_clock::time_point> NextDeadline() const;

  bool stopping() const { return state_ == State::kStopping; }
  bool restarting() const { return state_ == State::kRestarting; }

 private:
  enum class State { kRunning, kRestarting, kStopping };
  void ActOnChange();
  void AskToExit(State next);

  ChildControl& child_;
  Clock& clock_;
  Random& random_;
  SupervisorOptions options_;
  State state_ = State::kRunning;
  std::optional<std::chrono::steady_clock::time_point> change_due_;
  std::optional<std::chrono::steady_clock::time_point> kill_due_;
  bool killed_ = false;
};

}  // namespace locksmith
