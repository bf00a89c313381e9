#include "providers/local/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace locksmith::internal {
ErrorCode ErrorCodeForErrno(int err) {
  return err == EACCES || err == EPERM || err == EROFS ? ErrorCode::kPermissionDenied
                                                       : ErrorCode::kUnavailable;
}

Result<void> CreatePrivateDirectories(const std::filesystem::path& dir) {
  if (dir.empty()) {
    return OkResult();
  }
  // Walk up to the first existing ancestor, then create downwards, each with 0700 (mkdir
  // applies the umask, which can only remove bits).
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "local store: '" + p.string() + "' exists and is not a directory");
      }
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) {
      break;
    }
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      int err = errno;
      return MakeError(ErrorCodeForErrno(err), "local store: cannot create directory '" +
                                                   it->string() + "': " + std::strerror(err));
    }
  }
  return OkResult();
}

Result<void> CreatePrivateFileIfMissing(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return MakeError(ErrorCodeForErrno(err),
                     "local store: cannot open '" + path.string() + "': " + std::strerror(err));
  }
  ::close(fd);
  return OkResult();
}

void SyncParentDirectory(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace locksmith::internal
