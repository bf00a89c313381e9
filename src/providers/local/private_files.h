// Filesystem helpers for files only the owner may read: directories created 0700, files 0600.
#pragma once

#include <filesystem>

#include "locksmith/result.h"

namespace locksmith::internal {

// kPermissionDenied for EACCES, EPERM and EROFS (the operator must fix permissions or the mount),
// kUnavailable for anything else.
ErrorCode ErrorCodeForErrno(int err);

// Creates `dir` and any missing parents with mode 0700 (existing directories are left alone).
Result<void> CreatePrivateDirectories(const std::filesystem::path& dir);

// Creates an empty file at `path` with mode 0600 if none exists; an existing file is untouched.
// Used before SQLite opens the store, so the database (and its -wal/-shm files, which SQLite
// creates with the database file's mode) is never readable by others.
Result<void> CreatePrivateFileIfMissing(const std::filesystem::path& path);

// fsync on the directory holding `path`, so a newly linked name survives a power loss.
void SyncParentDirectory(const std::filesystem::path& path);

}  // namespace locksmith::internal
