// Parser for .env files: KEY=VALUE lines with an optional `export ` prefix, comments, single-
// quoted (literal), double-quoted (escapes, may span lines) and unquoted values. Values come out
// as SecretValue; errors name the file and line number, never the line's contents.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

struct DotenvEntry {
  std::string key;  // as written, e.g. DB_ENCRYPTION_KEY
  SecretValue value;
  int line = 0;  // 1-based line the entry starts on
};

// `file_label` is used only in error messages ("<file_label>:<line>: ...").
Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view content, std::string_view file_label);

}  // namespace locksmith::internal
