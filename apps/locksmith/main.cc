// locksmith: the command-line program. It parses flags (src/cli/flags.cc), builds the runtime
// from the environment, runs the command (src/cli/run_command.cc) and maps errors to exit codes
// (docs/cli.md). No behaviour lives here; no exception leaves main().
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/child_process.h"
#include "cli/flags.h"
#include "cli/run_child_command.h"
#include "cli/run_command.h"
#include "core/secret_env.h"
#include "locksmith/log.h"
#include "locksmith/process_hardening.h"
#include "spdlog/spdlog.h"

namespace locksmith {
namespace {

int Run(int argc, char** argv) {
  ParsedFlags parsed = ParseFlags(argc, argv, std::cout, std::cerr);
  if (!parsed.flags) {
    return parsed.exit_code;
  }
  Flags& flags = *parsed.flags;
  // Before any secret is read: no core dumps, no same-user ptrace (LOCKSMITH_ALLOW_CORE_DUMPS).
  EnvLookup env = ProcessEnv();
  if (auto hardened = HardenProcess(env); !hardened.ok()) {
    return ReportError(hardened.error(), std::cerr);
  }
  // Every secret-bearing variable leaves the environment now (the ones a command reads are kept
  // in memory and answered by ProcessEnv), not only those this command happens to read.
  internal::TakeAllSecretEnvVars();

  const bool is_agent = flags.command == Command::kAgent;
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  if (is_agent) {
    // Blocked before any thread starts, so every thread inherits the mask and the main thread
    // alone receives SIGINT/SIGTERM through sigwait.
    sigaddset(&shutdown_signals, SIGINT);
    sigaddset(&shutdown_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  }
  const bool is_run = flags.command == Command::kRun;
  if (is_run) {
    // The same for `run`: its loop alone receives what it forwards to the child, and SIGCHLD.
    const sigset_t run_signals = RunSignalSet();
    pthread_sigmask(SIG_BLOCK, &run_signals, nullptr);
  }

  auto runtime = BuildCliRuntime(env, /*background_refresh=*/is_agent || is_run, SystemClock(),
                                 SystemRandom());
  if (!runtime.ok()) {
    return ReportError(runtime.error(), std::cerr);
  }
  if (is_run) {
    return RunChildCommand(*runtime->manager, flags.run_child, std::cerr);
  }
  Result<void> result =
      RunCommand(flags, *runtime, env,
                 {STDIN_FILENO, std::cin, std::cout, std::cerr, isatty(STDERR_FILENO) == 1},
                 [&](const AgentServer&) {
                   int signal_number = 0;
                   sigwait(&shutdown_signals, &signal_number);
                   Logger()->info("received {}, shutting down", strsignal(signal_number));
                 });
  std::cout.flush();
  if (!result.ok()) {
    return ReportError(result.error(), std::cerr);
  }
  return kExitOk;
}

}  // namespace
}  // namespace locksmith

int main(int argc, char** argv) {
  try {
    return locksmith::Run(argc, argv);
  } catch (...) {
    // Not e.what(): a third-party message could quote input.
    std::cerr << "locksmith: internal error (unexpected exception)\n";
    return locksmith::kExitFailure;
  }
}
