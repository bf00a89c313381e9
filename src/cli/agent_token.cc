// The agent's token: from LOCKSMITH_AGENT_TOKEN (the value or file:///path), or generated and
// written to a 0600 file.
#include "cli/agent_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace locksmith {
namespace {

constexpr std::string_view kFileScheme = "file://";
constexpr std::size_t kMaxTokenFileSize = 4096;

// Drops one trailing "\n" (or "\r\n").
std::size_t TrimmedLength(std::string_view bytes) {
  std::size_t n = bytes.size();
  if (n > 0 && bytes[n - 1] == '\n') {
    --n;
    if (n > 0 && bytes[n - 1] == '\r') {
      --n;
    }
  }
  return n;
}

Result<SecretValue> ReadTokenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    ErrorCode code = err == ENOENT   ? ErrorCode::kNotFound
                     : err == EACCES ? ErrorCode::kPermissionDenied
                                     : ErrorCode::kUnavailable;
    return MakeError(code, "cannot read agent token file " + path + ": " + std::strerror(err));
  }
  std::vector<char> buffer(kMaxTokenFileSize + 1);
  std::size_t used = 0;
  while (used < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  Result<SecretValue> result = MakeError(ErrorCode::kInvalidArgument, "");
  if (used > kMaxTokenFileSize) {
    result = MakeError(ErrorCode::kInvalidArgument, "agent token file " + path + " is too large");
  } else {
    std::string_view bytes(buffer.data(), used);
    result = SecretValue(bytes.substr(0, TrimmedLength(bytes)));
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return result;
}

}  // namespace

Result<SecretValue> ResolveAgentToken(const SecretValue& spec) {
  std::string_view text = spec.RevealUnsafe();
  SecretValue token;
  if (text.starts_with(kFileScheme)) {
    // The path is not secret: file:///run/secrets/agent-token -> /run/secrets/agent-token.
    std::string path(text.substr(kFileScheme.size()));
    LOCKSMITH_ASSIGN_OR_RETURN(token, ReadTokenFile(path));
  } else {
    token = spec.Clone();
  }
  if (token.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the agent token is empty");
  }
  return token;
}

Result<SecretValue> GenerateAgentToken(Random& random) {
  std::uint8_t raw[32];
  auto filled = random.Fill(raw);
  if (!filled.ok()) {
    OPENSSL_cleanse(raw, sizeof(raw));
    return std::move(filled).error();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  SecretValue token = SecretValue::Zeroed(2 * sizeof(raw));
  auto out = token.MutableBytesUnsafe();
  for (std::size_t i = 0; i < sizeof(raw); ++i) {
    out[2 * i] = static_cast<std::uint8_t>(kHex[raw[i] >> 4]);
    out[2 * i + 1] = static_cast<std::uint8_t>(kHex[raw[i] & 0xf]);
  }
  OPENSSL_cleanse(raw, sizeof(raw));
  return token;
}

Result<void> WriteAgentTokenFile(const std::filesystem::path& path, const SecretValue& token) {
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
  }
  // Write a fresh file next to the target and rename it over, so the token is never readable
  // with looser permissions, even for a moment.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int err = errno;
    return MakeError(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
                     "cannot create " + tmp.string() + ": " + std::strerror(err));
  }
  ::fchmod(fd, 0600);
  std::string_view bytes = token.RevealUnsafe();
  std::string_view newline = "\n";
  bool ok = true;
  for (std::string_view part : {bytes, newline}) {
    while (ok && !part.empty()) {
      ssize_t n = ::write(fd, part.data(), part.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        ok = false;
        break;
      }
      part.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kUnavailable,
                     "cannot write " + path.string() + ": " + std::strerror(err));
  }
  return OkResult();
}

}  // namespace locksmith
