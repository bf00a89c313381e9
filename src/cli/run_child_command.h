// `locksmith run [--secret ENV=name ...] [--env-file-names] [--restart-on-change |
// --signal-on-change SIG] [--change-jitter D] [--kill-timeout D] [--secret-files DIR] -- CMD ...`
// (docs/cli.md, "run"): starts CMD with secrets in its environment (or in files), forwards
// signals, acts on rotations and exits with the child's code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "locksmith/secrets_manager.h"

namespace locksmith {

struct RunChildOptions {
  std::vector<std::string> command;  // CMD ARGS... (after --)
  std::vector<std::string> secrets;  // --secret ENV=name
  bool env_file_names = false;
  bool restart_on_change = false;
  std::string signal_on_change;  // a signal name; empty: none
  std::string change_jitter = "0s";
  std::string kill_timeout = "10s";
  std::string secret_files;  // empty: secrets in the environment
};

// Runs the command to its end and returns run's exit code: the child's exit status, 128 + the
// signal that killed it, 127/126 when it cannot be started, or the CLI's code for an error
// before it starts (printed on `err` as "locksmith: <message>"; the child is never started when
// a secret cannot be read). The signals of RunSignalSet() (child_process.h) must be blocked in
// every thread, and `manager` should refresh in the background so rotations are seen.
int RunChildCommand(SecretsManager& manager, const RunChildOptions& options, std::ostream& err);

}  // namespace locksmith
