// Reading `put`'s value from stdin into wiped memory.
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/commands.h"

namespace locksmith {
namespace {

constexpr std::size_t kMaxValueSize = 64 * 1024;  // AWS Secrets Manager's limit

}  // namespace

Result<SecretValue> ReadSecretFromFd(int fd) {
  // A fixed buffer, one byte larger than allowed to detect oversize input; never reallocated.
  SecretValue buffer = SecretValue::Zeroed(kMaxValueSize + 1);
  auto bytes = buffer.MutableBytesUnsafe();
  std::size_t used = 0;
  while (used < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return MakeError(ErrorCode::kUnavailable,
                       std::string("cannot read the value from stdin: ") + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
  }
  if (used > kMaxValueSize) {
    return MakeError(ErrorCode::kInvalidArgument, "the value is larger than 64 KiB");
  }
  std::string_view text(buffer.RevealUnsafe().data(), used);
  if (text.ends_with('\n')) {
    text.remove_suffix(1);
    if (text.ends_with('\r')) {
      text.remove_suffix(1);
    }
  }
  if (text.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the value (read from stdin) is empty");
  }
  return SecretValue(text);
}

}  // namespace locksmith
