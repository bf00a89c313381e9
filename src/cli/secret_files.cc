#include "cli/secret_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/atomic_file.h"

namespace locksmith {
namespace {

std::string SecretFilesQuoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

Error SecretFilesIoError(std::string_view what, const std::filesystem::path& path,
                         int error_number) {
  return MakeError(ErrorCode::kUnavailable, std::string(what) + " " + SecretFilesQuoted(path) +
                                                ": " + std::strerror(error_number));
}

Result<void> CheckSecretFilesDir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return SecretFilesIoError("--secret-files: cannot inspect", dir, errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return MakeError(ErrorCode::kPermissionDenied, "--secret-files: " + SecretFilesQuoted(dir) +
                                                       " is a symbolic link; give the real path");
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--secret-files: " + SecretFilesQuoted(dir) + " is not a directory");
  }
  if (st.st_uid != ::geteuid()) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "--secret-files: " + SecretFilesQuoted(dir) + " is owned by uid " +
                         std::to_string(st.st_uid) + ", not by uid " + std::to_string(::geteuid()));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return MakeError(ErrorCode::kPermissionDenied,
                     "--secret-files: " + SecretFilesQuoted(dir) + " has mode " + mode +
                         ", which lets group or others in; run: chmod 700 " +
                         SecretFilesQuoted(dir));
  }
  return {};
}

}  // namespace

Result<SecretFilesDirPtr> SecretFilesDir::Create(const std::filesystem::path& dir) {
  if (dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--secret-files: empty directory name");
  }
  bool created = false;
  if (::mkdir(dir.c_str(), 0700) == 0) {
    created = true;
  } else if (errno == ENOENT) {
    return MakeError(ErrorCode::kNotFound,
                     "--secret-files: the parent of " + SecretFilesQuoted(dir) + " does not exist");
  } else if (errno != EEXIST) {
    return SecretFilesIoError("--secret-files: cannot create", dir, errno);
  }
  // Checked in both cases: a directory made by someone else between the two calls is refused.
  LOCKSMITH_RETURN_IF_ERROR(CheckSecretFilesDir(dir));
  return SecretFilesDirPtr(new SecretFilesDir(dir, created));
}

SecretFilesDir::~SecretFilesDir() {
  for (const std::filesystem::path& file : written_) {
    ::unlink(file.c_str());
  }
  if (created_) {
    ::rmdir(dir_.c_str());
  }
}

Result<std::string> SecretFilesDir::Write(std::string_view file_name, const SecretValue& value) {
  const std::filesystem::path target = dir_ / std::string(file_name);
  // The same atomic replacement as the agent's templates: a reader sees the old file or the new.
  if (auto written = ReplaceFileAtomically(target, value.RevealUnsafe(), 0600); !written.ok()) {
    return MakeError(written.error().code, "--secret-files: cannot write " +
                                               SecretFilesQuoted(target) + ": " +
                                               written.error().message);
  }
  if (std::find(written_.begin(), written_.end(), target) == written_.end()) {
    written_.push_back(target);
  }
  return target.string();
}

}  // namespace locksmith
