// Running a configured helper program (e.g. an AWS credential_process) without a shell: argv
// straight to posix_spawnp, stdin from /dev/null, stdout and stderr read with size caps, and the
// whole process group killed when it outlives its deadline.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

struct SubprocessLimits {
  std::chrono::milliseconds timeout{60000};
  std::size_t max_stdout = 64 * 1024;
  std::size_t max_stderr = 4 * 1024;  // more is dropped, not an error
};

struct SubprocessOutput {
  int exit_code = 0;        // the exit status, or 128 + signal when killed by one
  SecretValue stdout_text;  // may hold credentials
  std::string stderr_text;  // at most max_stderr bytes; not scrubbed
};

// Runs argv[0] (searched in PATH) with argv and the current environment, in its own process
// group, and waits for it. Errors:
//   kInvalidArgument   empty argv, or the program cannot be started (named by argv[0] only)
//   kDeadlineExceeded  still running after `timeout`: its process group is killed
//   kDataLoss          more than max_stdout bytes on stdout: killed, nothing returned
// A non-zero exit is not an error here: the caller reads exit_code.
Result<SubprocessOutput> RunSubprocess(const std::vector<std::string>& argv,
                                       const SubprocessLimits& limits);

}  // namespace locksmith::internal
