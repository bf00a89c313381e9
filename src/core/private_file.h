// Reading files that hold secrets (key files, token files, credential files) with no unwiped
// copies, and, for the files only this user should control, checks that someone else cannot
// have planted or swapped them: not a symbolic link, owned by us, no group/other permission bits,
// in a directory others cannot write to (unless it is sticky, like /tmp). Errors name the path
// and the problem, never the content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

struct SecretFileRules {
  // The file must be this user's own: opened with O_NOFOLLOW (a symbolic link is refused), owned
  // by the effective uid, mode without group/other bits (0600 or 0400), and its directory not
  // writable by group or others unless that directory is sticky (in a sticky directory such as
  // /tmp others may create names but not replace ours; a name they created is not owned by us
  // and is refused). False: any regular file we can read (shared config files such as
  // ~/.aws/config, files mounted by an orchestrator, often through symbolic links).
  bool private_to_owner = true;
  std::size_t max_size = 4096;  // larger files are refused (kInvalidArgument)
};

// The whole file through read(2) into wiped memory. `what` names the file in messages, e.g.
// "master key file". Errors: kNotFound (missing), kPermissionDenied (cannot be opened, or fails
// a private_to_owner check: "is a symbolic link", "is owned by uid N, not by uid M", "has mode
// 0644, which lets group or others access it; run: chmod 600 '<path>'", "is in directory '<dir>'
// that group or others may write to"), kInvalidArgument (not a regular file, too large),
// kUnavailable (other I/O errors).
Result<SecretValue> ReadSecretFile(const std::filesystem::path& path, std::string_view what,
                                   const SecretFileRules& rules);

// The private_to_owner checks on an open descriptor `fd` of `path` whose directory is open as
// `dir_fd` (AT_FDCWD: the current directory). For callers that open the file themselves (e.g.
// with O_CREAT).
Result<void> CheckPrivateFile(int fd, int dir_fd, const std::filesystem::path& path,
                              std::string_view what);

// Creates `dir` and its missing parents with mode 0700 (the umask can only remove bits); an
// existing directory is left as it is. Then refuses `dir` if group or others may replace its
// entries (DirectoryLetsOthersReplaceEntries), naming `what` the directory is for.
Result<void> MakePrivateDirectories(const std::filesystem::path& dir, std::string_view what);

// Creates `path` holding `content`, mode 0600, unless a file by that name already exists: the
// bytes go to a new temporary file (O_EXCL|O_NOFOLLOW) that is then linked into place, so no
// reader sees a half-written file and of two racing processes exactly one wins. True if this
// call created the file, false if one was already there.
Result<bool> CreatePrivateFileOnce(const std::filesystem::path& path,
                                   std::span<const std::uint8_t> content, std::string_view what);

// Whether a directory with these stat bits lets group or others replace its entries: group or
// other write permission without the sticky bit.
bool DirectoryLetsOthersReplaceEntries(unsigned mode);

}  // namespace locksmith::internal
