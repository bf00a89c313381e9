// Replacing a file so that a reader sees the old content or the new, never a mix: what
// `locksmith agent --template` writes its rendered files with.
#pragma once

#include <sys/types.h>

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

}  // namespace locksmith
