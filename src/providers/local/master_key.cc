#include "providers/local/master_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/strings.h"
#include "providers/local/private_files.h"

namespace locksmith::internal {
namespace {

constexpr std::size_t kMaxKeyFileSize = 4096;

Error FileError(const std::filesystem::path& path, std::string_view what, int err) {
  return MakeError(ErrorCodeForErrno(err), "master key file '" + path.string() + "': " +
                                               std::string(what) + ": " + std::strerror(err));
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Result<void> WriteAll(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return MakeError(ErrorCode::kUnavailable, std::strerror(errno));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return OkResult();
}

// Reads an existing key file through `fd` after checking its mode.
Result<SecretValue> ReadKeyFile(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return FileError(path, "cannot stat", errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "master key file '" + path.string() + "' is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return MakeError(ErrorCode::kPermissionDenied,
                     "master key file '" + path.string() + "' has mode " + mode +
                         " and may be read or changed by group or others; run: chmod 600 '" +
                         path.string() + "'");
  }
  // Read at most kMaxKeyFileSize + 1 bytes so an oversized file is detected, not truncated.
  std::array<char, kMaxKeyFileSize + 1> buffer{};
  std::size_t size = 0;
  while (size < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      OPENSSL_cleanse(buffer.data(), buffer.size());
      return FileError(path, "cannot read", err);
    }
    if (n == 0) {
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxKeyFileSize) {
    OPENSSL_cleanse(buffer.data(), buffer.size());
    return MakeError(ErrorCode::kInvalidArgument, "master key file '" + path.string() +
                                                      "' is not the base64 of exactly 32 bytes");
  }
  auto key = DecodeMasterKey(std::string_view(buffer.data(), size),
                             "master key file '" + path.string() + "'");
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return key;
}

// Writes a fresh key to a private temporary file and links it into place, so no reader ever
// sees a half-written key file and, if two processes race, exactly one key wins (link fails
// with EEXIST for the loser, which then reads the winner's file).
Result<bool> CreateKeyFile(const std::filesystem::path& path, Random& random) {
  std::array<std::uint8_t, 8> suffix{};
  LOCKSMITH_RETURN_IF_ERROR(random.Fill(suffix));
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + HexEncode(suffix);

  std::array<std::uint8_t, kAesGcmKeySize> raw{};
  auto filled = random.Fill(raw);
  SecretValue encoded = Base64EncodeSecret(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  LOCKSMITH_RETURN_IF_ERROR(filled);

  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return FileError(path, "cannot create", errno);
  }
  Result<void> written = OkResult();
  {
    FdCloser closer(fd);
    written = WriteAll(fd, encoded.RevealBytesUnsafe());
    if (written.ok()) {
      written = WriteAll(fd, AsBytes("\n"));
    }
    if (written.ok() && ::fsync(fd) != 0) {
      written = MakeError(ErrorCode::kUnavailable, std::strerror(errno));
    }
  }
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kUnavailable, "master key file '" + path.string() +
                                                  "': cannot write: " + written.error().message);
  }
  bool created = true;
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    if (err != EEXIST) {
      ::unlink(tmp.c_str());
      return FileError(path, "cannot create", err);
    }
    created = false;
  }
  ::unlink(tmp.c_str());
  SyncParentDirectory(path);
  return created;
}

}  // namespace

Result<SecretValue> DecodeMasterKey(std::string_view base64, std::string_view source) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(source) + " is not the base64 of exactly 32 bytes");
  };
  auto decoded = Base64DecodeSecret(Trim(base64));
  if (!decoded.ok() || decoded->size() != kAesGcmKeySize) {
    return bad();
  }
  return std::move(decoded).value();
}

Result<SecretValue> LoadOrCreateMasterKeyFile(const std::filesystem::path& path, Random& random) {
  // Two rounds at most: if the file is missing we create it (or lose a race to someone who
  // did), then read whatever is there.
  for (int round = 0; round < 2; ++round) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      FdCloser closer(fd);
      return ReadKeyFile(fd, path);
    }
    int err = errno;
    if (err != ENOENT || round > 0) {
      return FileError(path, "cannot open", err);
    }
    LOCKSMITH_RETURN_IF_ERROR(CreatePrivateDirectories(path.parent_path()));
    LOCKSMITH_RETURN_IF_ERROR(CreateKeyFile(path, random));
  }
  return MakeError(ErrorCode::kInternal, "master key file: unreachable");
}

Result<SecretValue> LoadMasterKey(const LocalStoreOptions& options, Random& random) {
  bool has_key = options.master_key_base64.has_value();
  bool has_file = !options.master_key_file.empty();
  if (has_key == has_file) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "local store: set exactly one of the master key and the master key file");
  }
  if (has_key) {
    return DecodeMasterKey(options.master_key_base64->RevealUnsafe(), "the master key");
  }
  return LoadOrCreateMasterKeyFile(options.master_key_file, random);
}

}  // namespace locksmith::internal
