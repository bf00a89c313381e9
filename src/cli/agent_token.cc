// The agent's token: from LOCKSMITH_AGENT_TOKEN (the value or file:///path), or kept in a 0600
// file (generated when missing) in a 0700 directory.
#include "cli/agent_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "core/private_file.h"

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

// The token file must be this user's own private file (core/private_file.h): another user who
// could plant or read it could talk to the agent.
Result<SecretValue> ReadTokenFile(const std::filesystem::path& path) {
  internal::SecretFileRules rules;
  rules.private_to_owner = true;
  rules.max_size = kMaxTokenFileSize;
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue content,
                             internal::ReadSecretFile(path, "agent token file", rules));
  std::string_view bytes = content.RevealUnsafe();
  return SecretValue(bytes.substr(0, TrimmedLength(bytes)));
}

Result<void> PrepareTokenDirectory(const std::filesystem::path& dir) {
  return internal::MakePrivateDirectories(dir, "agent token");
}

// Writes `token` and a newline to a new file `tmp` (mode 0600, never a link).
Result<void> WriteNewTokenFile(const std::filesystem::path& tmp, const SecretValue& token) {
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
  int err = errno;
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kUnavailable,
                     "cannot write " + tmp.string() + ": " + std::strerror(err));
  }
  return OkResult();
}

std::filesystem::path TempPathFor(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  return tmp;
}

}  // namespace

Result<SecretValue> ResolveAgentToken(const SecretValue& spec) {
  std::string_view text = spec.RevealUnsafe();
  SecretValue token;
  if (text.starts_with(kFileScheme)) {
    // The path is not secret: file:///run/secrets/agent-token -> /run/secrets/agent-token.
    std::filesystem::path path(text.substr(kFileScheme.size()));
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
  LOCKSMITH_RETURN_IF_ERROR(PrepareTokenDirectory(path.parent_path()));
  // Write a fresh file next to the target and rename it over, so the token is never readable
  // with looser permissions, even for a moment.
  std::filesystem::path tmp = TempPathFor(path);
  LOCKSMITH_RETURN_IF_ERROR(WriteNewTokenFile(tmp, token));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kUnavailable,
                     "cannot write " + path.string() + ": " + std::strerror(err));
  }
  return OkResult();
}

Result<AgentTokenFromFile> LoadOrCreateAgentTokenFile(const std::filesystem::path& path,
                                                      Random& random) {
  LOCKSMITH_RETURN_IF_ERROR(PrepareTokenDirectory(path.parent_path()));
  // Two rounds at most: a missing file is created (link(2) never replaces an existing name, so
  // of two agents starting at once exactly one token wins), then whatever is there is read.
  for (int round = 0; round < 2; ++round) {
    Result<SecretValue> existing = ReadTokenFile(path);
    if (existing.ok()) {
      if (existing->empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the agent token file " + path.string() +
                             " is empty; delete it (or run `locksmith agent --new-token`)");
      }
      return AgentTokenFromFile{std::move(existing).value(), round > 0};
    }
    if (existing.error().code != ErrorCode::kNotFound || round > 0) {
      return std::move(existing).error();
    }
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue token, GenerateAgentToken(random));
    SecretValue content = SecretValue::Zeroed(token.size() + 1);
    std::copy(token.RevealBytesUnsafe().begin(), token.RevealBytesUnsafe().end(),
              content.MutableBytesUnsafe().begin());
    content.MutableBytesUnsafe().back() = '\n';
    LOCKSMITH_RETURN_IF_ERROR(
        internal::CreatePrivateFileOnce(path, content.RevealBytesUnsafe(), "agent token file"));
  }
  return MakeError(ErrorCode::kInternal, "agent token file: unreachable");
}

}  // namespace locksmith
