// Replacing a file so that a reader sees the old content or the new, never a mix: what
// `locksmith agent --template` writes its rendered files with.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith {

// Writes `content` to a new temporary file in `path`'s directory (created with O_EXCL, its mode
// set to exactly `mode` before any byte is written, whatever the umask), fsyncs it, renames it
// over `path` and fsyncs the directory. On any error the temporary file is removed and `path`
// keeps its old content. A symbolic link at `path` is replaced, not followed. Errors name the
// path, never the content: kNotFound (the directory does not exist), kPermissionDenied (it is
// not writable), kUnavailable (other I/O errors).
Result<void> ReplaceFileAtomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode);

// Removes the temporary files a ReplaceFileAtomically of `path` leaves behind when its process is
// killed between creating and renaming one (`.NAME.locksmith-XXXXXX` in `path`'s directory; only
// regular files owned by this user): without this they would pile up, one per kill, each holding
// a rendered secret. Call it before the first write, when no other process is writing `path`.
// Returns how many were removed; a missing directory removes none. Errors (the directory cannot
// be listed, a file cannot be removed) name the path: kPermissionDenied, kUnavailable.
Result<std::size_t> RemoveStaleTemporaryFiles(const std::filesystem::path& path);

}  // namespace locksmith
