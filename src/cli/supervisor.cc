#include "cli/supervisor.h"

#include <signal.h>

#include <cstring>
#include <string>

#include "cli/commands.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith {

StartFailure StartFailureFor(Error error) {
  const int code = ExitCodeFor(error.code);
  return {std::move(error), code};
}

Supervisor::Supervisor(ChildControl& child, Clock& clock, Random& random, SupervisorOptions options)
    : child_(child), clock_(clock), random_(random), options_(options) {}

std::optional<StartFailure> Supervisor::Start() { return child_.Start(); }

void Supervisor::OnSignal(int signal) {
  child_.Signal(signal);
  const bool stop = signal == SIGTERM || signal == SIGINT || signal == SIGQUIT;
  if (stop && state_ != State::kStopping) {
    // A pending change no longer matters; a restart in progress becomes a stop, keeping its
    // deadline (the child was already asked to exit).
    change_due_.reset();
    if (state_ == State::kRestarting) {
      state_ = State::kStopping;
    } else {
      state_ = State::kStopping;
      kill_due_ = clock_.Now() + options_.kill_timeout;
    }
  }
}

void Supervisor::OnSecretsChanged() {
  if (state_ != State::kRunning || change_due_) {
    // Stopping: nothing to do. Restarting: the new child reads the secrets when it starts.
    // Already scheduled: one action covers every change seen before it.
    return;
  }
  const auto jitter = options_.change_jitter.count() > 0
                          ? std::chrono::milliseconds(random_.Uniform(
                                static_cast<std::uint64_t>(options_.change_jitter.count()) + 1))
                          : std::chrono::milliseconds(0);
  change_due_ = clock_.Now() + jitter;
  if (jitter.count() > 0) {
    Logger()->info("run: a secret changed; acting on it in {} ms (--change-jitter)",
                   jitter.count());
  }
}

void Supervisor::ActOnChange() {
  change_due_.reset();
  if (options_.on_change == ChangeAction::kRestart) {
    Logger()->info("run: a secret changed; restarting the command (SIGTERM)");
    AskToExit(State::kRestarting);
    return;
  }
  if (auto refreshed = child_.RefreshSecrets(); !refreshed.ok()) {
    // The old files stay whole; the child keeps the values it has.
    Logger()->warn("run: could not rewrite the secret files: {}", refreshed.error().message);
    return;
  }
  if (options_.on_change == ChangeAction::kSignal) {
    Logger()->info("run: a secret changed; sending {} to the command",
                   sigabbrev_np(options_.change_signal));
    child_.Signal(options_.change_signal);
  }
}

void Supervisor::AskToExit(State next) {
  state_ = next;
  killed_ = false;
  kill_due_ = clock_.Now() + options_.kill_timeout;
  child_.Signal(SIGTERM);
}

std::optional<int> Supervisor::OnChildExited(int code) {
  kill_due_.reset();
  if (state_ != State::kRestarting) {
    return code;
  }
  state_ = State::kRunning;
  change_due_.reset();
  if (std::optional<StartFailure> failed = child_.Start()) {
    Logger()->error("run: cannot restart the command: {}", failed->error.message);
    return failed->exit_code;
  }
  return std::nullopt;
}

void Supervisor::OnTick() {
  const auto now = clock_.Now();
  if (kill_due_ && now >= *kill_due_ && !killed_) {
    killed_ = true;
    Logger()->warn("run: the command did not exit within {} ms of SIGTERM; sending SIGKILL",
                   options_.kill_timeout.count());
    child_.Signal(SIGKILL);
  }
  if (change_due_ && now >= *change_due_ && state_ == State::kRunning) {
    ActOnChange();
  }
}

std::optional<std::chrono::steady_clock::time_point> Supervisor::NextDeadline() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  if (kill_due_ && !killed_) {
    next = kill_due_;
  }
  if (change_due_ && state_ == State::kRunning && (!next || *change_due_ < *next)) {
    next = change_due_;
  }
  return next;
}

}  // namespace locksmith
