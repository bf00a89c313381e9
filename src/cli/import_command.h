// `locksmith import FILE [--prefix P] [--only NAME ...] [--dry-run]`: moves the secrets of a
// `.env` file into the configured back end (docs/cli.md "import", docs/migrating-from-dotenv.md).
// Never prints a value, not even in errors; idempotent (an equal current value is "unchanged" and
// no version is written); each write is read back, at the exact version written and past the
// cache, before it is reported imported. Ends with the `.env` lines to delete.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct ImportCommandOptions {
  std::filesystem::path file{};
  std::string prefix{};             // --prefix: secrets go under <prefix>/<name>
  std::vector<std::string> only{};  // --only (repeatable): variables or logical names
  bool dry_run = false;             // read and compare, write nothing
};

// Prints one line per variable and a summary on `out`, then the lines to delete. Errors: the
// file's (kNotFound when missing; kInvalidArgument for a malformed line, naming its number and
// variable), a bad flag (kInvalidArgument), the dotenv back end as the target
// (kFailedPrecondition); after the report, when any secret failed: the failures' common code
// (or kFailedPrecondition when they differ), every other secret being imported and reported.
Result<void> ImportCommand(SecretsManager& manager, const ImportCommandOptions& options,
                           std::ostream& out);

}  // namespace locksmith
