// Parser for .env files: KEY=VALUE lines with an optional `export ` prefix, comments, single-
// quoted (literal), double-quoted (escapes, may span lines) and unquoted values. Values come out
// as SecretValue; errors name the file and line number, never the line's contents.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

struct DotenvEntry {
  std::string key;  // as written, e.g. DB_ENCRYPTION_KEY
  SecretValue value;
  int line = 0;      // 1-based line the entry starts on
  int end_line = 0;  // 1-based line it ends on (a quoted value may span lines)
};

// `file_label` is used only in error messages ("<file_label>:<line>: ...").
Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view content, std::string_view file_label);

// The whole file at `path`, in memory that is wiped when the value goes. Errors name the path and
// errno's text: kNotFound for a missing file, kUnavailable otherwise.
Result<SecretValue> ReadDotenvFile(const std::filesystem::path& path);

}  // namespace locksmith::internal
