// A command line split into words as POSIX shells quote them (Python's shlex.split, which botocore
// uses for credential_process), for running a configured command without a shell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"

namespace locksmith::internal {

// Words separated by blanks; '...' is literal, "..." keeps \" and \\ as escapes, a backslash
// outside quotes escapes the next character. No expansion, globbing, comments or operators (a
// ';' or '|' is an ordinary character, as with shlex). kInvalidArgument for an unclosed quote or
// a trailing backslash.
Result<std::vector<std::string>> SplitShellWords(std::string_view line);

}  // namespace locksmith::internal
