#include "cli/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace locksmith {
namespace {

Error ReplaceError(int error_number, const std::filesystem::path& path, std::string_view doing) {
  ErrorCode code = ErrorCode::kUnavailable;
  if (error_number == ENOENT || error_number == ENOTDIR) {
    code = ErrorCode::kNotFound;
  } else if (error_number == EACCES || error_number == EPERM || error_number == EROFS) {
    code = ErrorCode::kPermissionDenied;
  }
  return MakeError(code, "cannot " + std::string(doing) + " for '" + path.string() +
                             "': " + std::strerror(error_number));
}

// mkostemp's pattern without its six X: ".NAME.locksmith-".
std::string TemporaryPrefix(const std::filesystem::path& path) {
  return "." + path.filename().string() + ".locksmith-";
}

// Closes the descriptor and removes the temporary file unless Commit() was called.
class TemporaryFile {
 public:
  TemporaryFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    CloseFd();
    if (!committed_) {
      ::unlink(path_.c_str());
    }
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int CloseFd() {
    int result = 0;
    if (fd_ >= 0) {
      result = ::close(fd_);
      fd_ = -1;
    }
    return result;
  }
  void Commit() { committed_ = true; }

 private:
  int fd_;
  std::string path_;
  bool committed_ = false;
};

}  // namespace

Result<void> ReplaceFileAtomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string pattern = (dir / (TemporaryPrefix(path) + "XXXXXX")).string();
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);  // mode 0600, O_EXCL
  if (fd < 0) {
    return ReplaceError(errno, path, "create a temporary file in '" + dir.string() + "'");
  }
  TemporaryFile temp(fd, pattern);
  if (::fchmod(temp.fd(), mode) != 0) {
    return ReplaceError(errno, path, "set the mode of the temporary file");
  }
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(temp.fd(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ReplaceError(errno, path, "write the temporary file");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(temp.fd()) != 0) {
    return ReplaceError(errno, path, "fsync the temporary file");
  }
  if (temp.CloseFd() != 0) {
    return ReplaceError(errno, path, "close the temporary file");
  }
  if (::rename(temp.path().c_str(), path.c_str()) != 0) {
    return ReplaceError(errno, path, "rename the temporary file");
  }
  temp.Commit();
  // The rename is durable once the directory is synced.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return ReplaceError(errno, path, "open the directory to fsync it");
  }
  int synced = ::fsync(dir_fd);
  int sync_errno = errno;
  ::close(dir_fd);
  if (synced != 0) {
    return ReplaceError(sync_errno, path, "fsync the directory");
  }
  return OkResult();
}

Result<std::size_t> RemoveStaleTemporaryFiles(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  const std::string prefix = TemporaryPrefix(path);
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return std::size_t{0};
    }
    return ReplaceError(ec.value(), path, "list the directory '" + dir.string() + "'");
  }
  std::size_t removed = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // mkostemp replaces the X's with six characters from [A-Za-z0-9].
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0 ||
        !std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
      return ReplaceError(errno, path, "remove the stale temporary file '" + name + "'");
    }
    ++removed;
  }
  if (ec) {
    return ReplaceError(ec.value(), path, "list the directory '" + dir.string() + "'");
  }
  return removed;
}

}  // namespace locksmith
