// The child of `locksmith run`: started with posix_spawnp in a process group of its own, with an
// environment built per start (run_secrets.h) and, when run owns the terminal, the terminal's
// foreground; signalled as a group, so a shell script's own children get the signal too.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run_secrets.h"
#include "cli/secret_files.h"
#include "cli/supervisor.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

// The signals run forwards to its child: HUP INT QUIT TERM USR1 USR2 WINCH CONT TSTP TTIN TTOU
// ALRM. SIGCHLD and these must be blocked in every thread before run starts any (main.cc does),
// so that run's loop alone receives them.
const std::vector<int>& ForwardedSignals();
// ForwardedSignals() and SIGCHLD.
sigset_t RunSignalSet();

// "HUP", "SIGHUP", "hup" or "1" -> SIGHUP. Errors: kInvalidArgument naming the text.
Result<int> ParseSignalName(std::string_view text);

class SpawnedChild : public ChildControl {
 public:
  // `files` may be null (secrets in the environment). All must outlive this object.
  SpawnedChild(SecretsManager& manager, std::vector<std::string> command,
               std::vector<RunSecret> secrets, SecretFilesDir* files);

  // Reads every secret now (an error names it and starts nothing), writes the files, builds the
  // environment from run's own (BuildChildEnvironment) and spawns the command.
  std::optional<StartFailure> Start() override;
  // To the child's process group; nothing once it has exited.
  void Signal(int signal) override;
  Result<void> RefreshSecrets() override;

  // The running child's pid, or -1.
  pid_t pid() const { return pid_; }
  // After waitpid reported the child gone: hands the terminal back to run.
  void MarkExited();
  // The child stopped (Ctrl-Z with the terminal its own): run takes the terminal back and stops
  // too, as a shell's job would; when continued it gives the terminal back and continues the
  // child.
  void OnChildStopped();

 private:
  Result<std::vector<std::string>> WriteFiles(const std::vector<SecretValue>& values);

  SecretsManager& manager_;
  std::vector<std::string> command_;
  std::vector<RunSecret> secrets_;
  SecretFilesDir* files_;
  pid_t pid_ = -1;
  int terminal_ = -1;  // stdin when it is run's terminal and run is in its foreground
};

}  // namespace locksmith
