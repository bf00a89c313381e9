// The agent's token: from LOCKSMITH_AGENT_TOKEN (the value or file:///path), or generated and
// written to a 0600 file. Part of the CLI, not the library's API.
#pragma once

#include <filesystem>

#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// The token from LOCKSMITH_AGENT_TOKEN's syntax: the token itself, or "file:///path" to read it
// from a file (one trailing newline is dropped). Errors: kInvalidArgument for an empty token,
// kNotFound / kPermissionDenied for an unreadable file. Messages never contain the token.
Result<SecretValue> ResolveAgentToken(const SecretValue& spec);

// A fresh random token (32 bytes, hex).
Result<SecretValue> GenerateAgentToken(Random& random);

// Writes `token` to `path` with mode 0600 (replacing an existing file; parent directories are
// created with 0700).
Result<void> WriteAgentTokenFile(const std::filesystem::path& path, const SecretValue& token);

}  // namespace locksmith
