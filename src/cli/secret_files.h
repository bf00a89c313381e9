// `locksmith run --secret-files DIR`: one file per secret (mode 0600) in a directory only this
// user may enter (0700), each written atomically (a temporary file, fsync, rename) so a reader
// never sees half a value, and removed when the object is destroyed (run exiting).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

class SecretFilesDir;
using SecretFilesDirPtr = std::unique_ptr<SecretFilesDir>;

class SecretFilesDir {
 public:
  // Uses `dir`, creating it (mode 0700; its parent must exist) when missing. An existing `dir`
  // must be a directory (not a symbolic link) owned by this user with no group or other
  // permission bits. Errors: kPermissionDenied for a directory failing those checks (the message
  // names the path and the fix), kNotFound for a missing parent, kInvalidArgument for a path
  // that is not a directory, kUnavailable for other I/O errors.
  static Result<SecretFilesDirPtr> Create(const std::filesystem::path& dir);
  SecretFilesDir(const SecretFilesDir&) = delete;
  SecretFilesDir& operator=(const SecretFilesDir&) = delete;
  // Removes every file written, and the directory if Create made it.
  ~SecretFilesDir();

  // Writes `value` to <dir>/<file_name> (0600), replacing an earlier version atomically. Returns
  // the file's path. Errors: kUnavailable (I/O), never quoting the value.
  Result<std::string> Write(std::string_view file_name, const SecretValue& value);

 private:
  SecretFilesDir(std::filesystem::path dir, bool created)
      : dir_(std::move(dir)), created_(created) {}

  std::filesystem::path dir_;
  bool created_ = false;
  std::vector<std::filesystem::path> written_;
};

}  // namespace locksmith
