#include "cli/child_process.h"

#include <spawn.h>
#include <string.h>  // sigabbrev_np
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "locksmith/log.h"
#include "spdlog/spdlog.h"

extern char** environ;  // NOLINT: POSIX

namespace locksmith {

const std::vector<int>& ForwardedSignals() {
  static const std::vector<int> kSignals = {SIGHUP,   SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                            SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM};
  return kSignals;
}

sigset_t RunSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : ForwardedSignals()) {
    sigaddset(&set, signal);
  }
  sigaddset(&set, SIGCHLD);
  return set;
}

Result<int> ParseSignalName(std::string_view text) {
  std::string name(text);
  for (char& c : name) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (name.starts_with("SIG")) {
    name.erase(0, 3);
  }
  for (int signal = 1; signal < 32; ++signal) {
    const char* abbrev = sigabbrev_np(signal);
    if ((abbrev != nullptr && name == abbrev) || name == std::to_string(signal)) {
      if (signal == SIGKILL || signal == SIGSTOP) {
        break;  // a "reload" that cannot be caught is a kill or a hang
      }
      return signal;
    }
  }
  std::string shown(text.substr(0, 32));
  for (char& c : shown) {
    if (c < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "--signal-on-change: unknown signal '" + shown +
                       "' (give a name such as HUP, USR1, TERM; KILL and STOP are refused)");
}

SpawnedChild::SpawnedChild(SecretsManager& manager, std::vector<std::string> command,
                           std::vector<RunSecret> secrets, SecretFilesDir* files)
    : manager_(manager), command_(std::move(command)), secrets_(std::move(secrets)), files_(files) {
  if (::isatty(STDIN_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp()) {
    terminal_ = STDIN_FILENO;
  }
}

Result<std::vector<std::string>> SpawnedChild::WriteFiles(const std::vector<SecretValue>& values) {
  std::vector<std::string> paths;
  if (files_ == nullptr) {
    return paths;
  }
  for (std::size_t i = 0; i < secrets_.size(); ++i) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::string path, files_->Write(secrets_[i].env_var, values[i]));
    paths.push_back(std::move(path));
  }
  return paths;
}

std::optional<StartFailure> SpawnedChild::Start() {
  if (command_.empty() || command_[0].empty()) {
    return StartFailureFor(
        MakeError(ErrorCode::kInvalidArgument, "no command to run (give it after --)"));
  }
  auto values = ReadRunSecrets(manager_, secrets_);
  if (!values.ok()) {
    return StartFailureFor(std::move(values).error());
  }
  auto files = WriteFiles(*values);
  if (!files.ok()) {
    return StartFailureFor(std::move(files).error());
  }
  std::vector<std::string_view> base;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    base.emplace_back(*entry);
  }
  ChildEnvironment env = BuildChildEnvironment(base, secrets_, *values, *files);
  std::vector<char*> envp = env.Envp();
  std::vector<char*> argv;
  for (std::string& arg : command_) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A process group of its own (signals and SIGKILL reach what it starts too) and no blocked
  // signals (run blocks the ones it forwards). Ignored signals stay ignored across exec, as
  // under any shell.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    const bool missing = spawned == ENOENT;
    return StartFailure{MakeError(missing ? ErrorCode::kNotFound : ErrorCode::kPermissionDenied,
                                  "cannot run '" + command_[0] + "': " + std::strerror(spawned)),
                        missing ? kExitCommandNotFound : kExitCannotExecute};
  }
  pid_ = pid;
  if (terminal_ >= 0) {
    ::tcsetpgrp(terminal_, pid_);  // SIGTTOU is blocked, so this never stops run
  }
  Logger()->info("run: started '{}' (pid {}) with {} secret(s) in its {}", command_[0], pid_,
                 secrets_.size(), files_ != nullptr ? "files" : "environment");
  return std::nullopt;
}

void SpawnedChild::Signal(int signal) {
  if (pid_ > 0) {
    ::kill(-pid_, signal);
  }
}

Result<void> SpawnedChild::RefreshSecrets() {
  if (files_ == nullptr) {
    return {};
  }
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<SecretValue> values, ReadRunSecrets(manager_, secrets_));
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<std::string> files, WriteFiles(values));
  (void)files;
  return {};
}

void SpawnedChild::MarkExited() {
  pid_ = -1;
  if (terminal_ >= 0) {
    ::tcsetpgrp(terminal_, ::getpgrp());
  }
}

void SpawnedChild::OnChildStopped() {
  if (terminal_ < 0 || pid_ <= 0) {
    return;
  }
  ::tcsetpgrp(terminal_, ::getpgrp());
  ::kill(::getpid(), SIGSTOP);
  // Continued (fg): the terminal is ours again if the shell gave it back.
  if (::tcgetpgrp(terminal_) == ::getpgrp()) {
    ::tcsetpgrp(terminal_, pid_);
  }
  ::kill(-pid_, SIGCONT);
}

}  // namespace locksmith
