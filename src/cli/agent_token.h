// The agent's token: from LOCKSMITH_AGENT_TOKEN (the value or file:///path), or generated and
// written to a 0600 file. Part of the CLI, not the library's API.
#pragma once

#include <filesystem>

#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// The token from LOCKSMITH_AGENT_TOKEN's syntax: the token itself, or "file:///path" to read it
// from a file (one trailing newline is dropped), which must be this user's own private file
// (core/private_file.h). Errors: kInvalidArgument for an empty token, kNotFound for a missing
// file, kPermissionDenied for an unreadable one or one that fails those checks. Messages never
// contain the token.
Result<SecretValue> ResolveAgentToken(const SecretValue& spec);

// A fresh random token (32 bytes, hex).
Result<SecretValue> GenerateAgentToken(Random& random);

// Writes `token` to `path` with mode 0600, replacing an existing file. Missing parent directories
// are created with mode 0700; a parent directory that group or others may write to (and is not
// sticky) is refused.
Result<void> WriteAgentTokenFile(const std::filesystem::path& path, const SecretValue& token);

struct AgentTokenFromFile {
  SecretValue token;
  bool created = false;  // true: the file was missing and a new token was written
};
// The token kept in `path` across agent restarts: read if the file exists, otherwise generated
// and written as WriteAgentTokenFile does (without replacing a file another process wrote
// meanwhile). The file must be this user's own (mode 0600/0400, not a symbolic link, in a
// directory others cannot write to); anything else is an error, never silently replaced.
Result<AgentTokenFromFile> LoadOrCreateAgentTokenFile(const std::filesystem::path& path,
                                                      Random& random);

}  // namespace locksmith
