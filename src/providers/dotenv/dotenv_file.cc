// Reading a .env file whole into wiped memory, for the dotenv back end and `locksmith import`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "providers/dotenv/dotenv_parser.h"

namespace locksmith::internal {

Result<SecretValue> ReadDotenvFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                     "cannot open .env file '" + path.string() + "': " + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    return MakeError(ErrorCode::kUnavailable,
                     "cannot read .env file '" + path.string() + "': " + std::strerror(err));
  }
  // One byte more than its size, so a read that fills the buffer means the file grew.
  std::size_t capacity = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)) + 1;
  for (int attempt = 0; attempt < 8; ++attempt) {
    SecretValue buf = SecretValue::Zeroed(capacity);
    std::span<std::uint8_t> bytes = buf.MutableBytesUnsafe();
    std::size_t total = 0;
    if (::lseek(fd, 0, SEEK_SET) != 0) {
      int err = errno;
      return MakeError(ErrorCode::kUnavailable,
                       "cannot read .env file '" + path.string() + "': " + std::strerror(err));
    }
    while (total < capacity) {
      ssize_t n = ::read(fd, bytes.data() + total, capacity - total);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        int err = errno;
        return MakeError(ErrorCode::kUnavailable,
                         "cannot read .env file '" + path.string() + "': " + std::strerror(err));
      }
      if (n == 0) {
        break;
      }
      total += static_cast<std::size_t>(n);
    }
    if (total < capacity) {
      // The whole file fit: return exactly its bytes.
      return SecretValue(buf.RevealBytesUnsafe().first(total));
    }
    capacity *= 2;  // the file grew while we read it
  }
  return MakeError(ErrorCode::kUnavailable,
                   "cannot read .env file '" + path.string() + "': it keeps growing");
}

}  // namespace locksmith::internal
