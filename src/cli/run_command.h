// Runs the command the flags name against a CliRuntime: the program's dispatch, so main() only
// parses, wires and maps the result to an exit code.
#pragma once

#include <functional>
#include <iosfwd>

#include "cli/commands.h"
#include "cli/flags.h"

namespace locksmith {

struct CommandIo {
  int in_fd;                     // put reads the value from here (stdin)
  std::istream& in;              // encrypt/decrypt read from here (stdin)
  std::ostream& out;             // results
  std::ostream& err;             // warnings and the agent's banner
  bool err_is_terminal = false;  // reencrypt draws a progress bar on it
};

// `wait_for_shutdown` is called by the agent once it serves, and stops it when it returns.
Result<void> RunCommand(Flags& flags, CliRuntime& runtime, const EnvLookup& env, CommandIo io,
                        const std::function<void(const AgentServer&)>& wait_for_shutdown);

}  // namespace locksmith
