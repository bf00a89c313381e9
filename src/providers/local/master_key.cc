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
#include "core/private_file.h"
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
    // Only this user's own file is trusted: not a symbolic link, owned by us, mode 0600/0400, in
    // a directory others cannot write to (core/private_file.h). A key planted by someone else
    // would let them read everything the store encrypts.
    SecretFileRules rules;
    rules.private_to_owner = true;
    rules.max_size = kMaxKeyFileSize;
    Result<SecretValue> content = ReadSecretFile(path, "master key file", rules);
    if (content.ok()) {
      return DecodeMasterKey(content->RevealUnsafe(), "master key file '" + path.string() + "'");
    }
    if (content.error().code != ErrorCode::kNotFound || round > 0) {
      return std::move(content).error();
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
