#include "core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace locksmith::internal {
namespace {

// Closes a descriptor on scope exit (AT_FDCWD and -1 are left alone).
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777U);
  return text;
}

Error OpenError(const std::filesystem::path& path, std::string_view what, int err, bool nofollow) {
  const std::string prefix = std::string(what) + " " + Quoted(path);
  if (nofollow && err == ELOOP) {
    return MakeError(ErrorCode::kPermissionDenied,
                     prefix +
                         " is a symbolic link; refusing it (point the setting at the file "
                         "itself)");
  }
  ErrorCode code = err == ENOENT                   ? ErrorCode::kNotFound
                   : err == EACCES || err == EPERM ? ErrorCode::kPermissionDenied
                                                   : ErrorCode::kUnavailable;
  return MakeError(code, "cannot open " + prefix + ": " + std::strerror(err));
}

}  // namespace

bool DirectoryLetsOthersReplaceEntries(unsigned mode) {
  return (mode & (S_IWGRP | S_IWOTH)) != 0 && (mode & S_ISVTX) == 0;
}

Result<void> CheckPrivateFile(int fd, int dir_fd, const std::filesystem::path& path,
                              std::string_view what) {
  const std::string prefix = std::string(what) + " " + Quoted(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    return MakeError(ErrorCode::kUnavailable, "cannot stat " + prefix + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, prefix + " is not a regular file");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return MakeError(ErrorCode::kPermissionDenied,
                     prefix + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                         std::to_string(me) +
                         " who runs locksmith; refusing a file someone "
                         "else controls");
  }
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     prefix + " has mode " + OctalMode(st.st_mode) +
                         ", which lets group or others access it; run: chmod 600 " + Quoted(path));
  }
  struct stat dir_st {};
  if (::fstatat(dir_fd, ".", &dir_st, 0) != 0) {
    int err = errno;
    return MakeError(ErrorCode::kUnavailable,
                     "cannot stat the directory of " + prefix + ": " + std::strerror(err));
  }
  if (DirectoryLetsOthersReplaceEntries(dir_st.st_mode)) {
    std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    return MakeError(ErrorCode::kPermissionDenied,
                     prefix + " is in directory " + Quoted(dir) + " (mode " +
                         OctalMode(dir_st.st_mode) +
                         ") that group or others may write to, so they could replace it; run: "
                         "chmod go-w " +
                         Quoted(dir));
  }
  return OkResult();
}

Result<void> MakePrivateDirectories(const std::filesystem::path& dir, std::string_view what) {
  if (dir.empty()) {
    return OkResult();
  }
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
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
      return MakeError(
          err == EACCES || err == EPERM ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
          "cannot create the " + std::string(what) + " directory " + Quoted(*it) + ": " +
              std::strerror(err));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kUnavailable, "cannot use " + Quoted(dir) + " as the " +
                                                  std::string(what) +
                                                  " directory: it is not a directory");
  }
  if (DirectoryLetsOthersReplaceEntries(st.st_mode)) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the " + std::string(what) + " directory " + Quoted(dir) + " (mode " +
                         OctalMode(st.st_mode) +
                         ") may be written by group or others, who could replace its files; run: "
                         "chmod go-w " +
                         Quoted(dir));
  }
  return OkResult();
}

Result<bool> CreatePrivateFileOnce(const std::filesystem::path& path,
                                   std::span<const std::uint8_t> content, std::string_view what) {
  const std::string prefix = std::string(what) + " " + Quoted(path);
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int err = errno;
    return MakeError(
        err == EACCES || err == EPERM ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
        "cannot create " + prefix + ": " + std::strerror(err));
  }
  bool ok = true;
  int err = 0;
  {
    ScopedFd closer(fd);
    std::span<const std::uint8_t> rest = content;
    while (ok && !rest.empty()) {
      ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        err = n < 0 ? errno : EIO;
        ok = false;
        break;
      }
      rest = rest.subspan(static_cast<std::size_t>(n));
    }
    if (ok && ::fsync(fd) != 0) {
      err = errno;
      ok = false;
    }
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kUnavailable, "cannot write " + prefix + ": " + std::strerror(err));
  }
  bool created = true;
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    if (err != EEXIST) {
      ::unlink(tmp.c_str());
      return MakeError(ErrorCode::kUnavailable,
                       "cannot create " + prefix + ": " + std::strerror(err));
    }
    created = false;
  }
  ::unlink(tmp.c_str());
  return created;
}

Result<SecretValue> ReadSecretFile(const std::filesystem::path& path, std::string_view what,
                                   const SecretFileRules& rules) {
  const std::string prefix = std::string(what) + " " + Quoted(path);
  // O_NONBLOCK: a FIFO planted at the path must not hang the open; it is refused below as not a
  // regular file. Regular files ignore the flag.
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd = -1;
  if (rules.private_to_owner) {
    std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      return OpenError(path, what, errno, false);
    }
    ScopedFd dir_closer(dir_fd);
    fd = ::openat(dir_fd, path.filename().c_str(), kFlags | O_NOFOLLOW);
    if (fd < 0) {
      return OpenError(path, what, errno, true);
    }
    Result<void> checked = CheckPrivateFile(fd, dir_fd, path, what);
    if (!checked.ok()) {
      ::close(fd);
      return std::move(checked).error();
    }
  } else {
    fd = ::open(path.c_str(), kFlags);
    if (fd < 0) {
      return OpenError(path, what, errno, false);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return MakeError(ErrorCode::kInvalidArgument, prefix + " is not a regular file");
    }
  }
  ScopedFd closer(fd);
  // One byte more than allowed, so an oversized file is detected rather than truncated; the
  // buffer is a SecretValue, wiped when it goes.
  SecretValue buffer = SecretValue::Zeroed(rules.max_size + 1);
  std::span<std::uint8_t> bytes = buffer.MutableBytesUnsafe();
  std::size_t used = 0;
  while (used < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      return MakeError(ErrorCode::kUnavailable,
                       "cannot read " + prefix + ": " + std::strerror(err));
    }
    if (n == 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
  }
  if (used > rules.max_size) {
    return MakeError(ErrorCode::kInvalidArgument,
                     prefix + " is larger than " + std::to_string(rules.max_size) + " bytes");
  }
  return SecretValue(buffer.RevealBytesUnsafe().first(used));
}

}  // namespace locksmith::internal
