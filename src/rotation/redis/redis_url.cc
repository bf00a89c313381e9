// ParseRedisUrl (locksmith/redis_credential_server.h): a Redis URL into connection options.
// Errors say what is wrong and never quote the URL, which may hold the password.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/strings.h"
#include "locksmith/redis_credential_server.h"

namespace locksmith {
namespace {

Error BadRedisUrl(std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "Redis URL: " + std::string(why) +
                       " (expected redis://[user[:password]@]host[:port] or "
                       "unix://[user[:password]@]/path/to/socket)");
}

// %XX decoding into `out` (a SecretValue's bytes for the password).
bool PercentDecodeTo(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return false;
    }
    const int hi = internal::HexDigitValue(in[i + 1]);
    const int lo = internal::HexDigitValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// "[user:]password@" as redis-cli reads it: without a colon the whole of it is the password (so a
// password is never taken for a user name, which messages do quote).
Result<void> ParseUserInfo(std::string_view userinfo, RedisCredentialServerOptions& options) {
  std::string_view user;
  std::string_view password = userinfo;
  if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  std::string decoded;
  if (!PercentDecodeTo(user, decoded)) {
    return BadRedisUrl("bad %-escape in the user name");
  }
  if (!decoded.empty()) {
    options.admin_username = decoded;
  }
  if (!PercentDecodeTo(password, decoded)) {
    std::fill(decoded.begin(), decoded.end(), '\0');
    return BadRedisUrl("bad %-escape in the password");
  }
  options.admin_password = SecretValue(decoded);
  std::fill(decoded.begin(), decoded.end(), '\0');
  return {};
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

}  // namespace

Result<RedisCredentialServerOptions> ParseRedisUrl(std::string_view url) {
  RedisCredentialServerOptions options;
  std::string_view rest;
  bool is_unix = false;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("unix://")) {
    rest = url.substr(7);
    is_unix = true;
  } else if (url.starts_with("rediss://")) {
    return BadRedisUrl("TLS (rediss://) is not supported");
  } else {
    return BadRedisUrl("unknown scheme");
  }
  // The last '@' ends the user info (a password may contain '@' only %-escaped, as in redis-cli,
  // but the host never does).
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    if (auto parsed = ParseUserInfo(rest.substr(0, at), options); !parsed.ok()) {
      return parsed.error();
    }
    rest = rest.substr(at + 1);
  }
  if (is_unix) {
    if (rest.size() < 2 || rest.front() != '/' || rest.find('\0') != std::string_view::npos) {
      return BadRedisUrl("the socket must be an absolute path");
    }
    options.unix_socket = std::string(rest);
    return options;
  }
  if (rest.ends_with('/')) {
    rest.remove_suffix(1);
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {  // [IPv6]
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return BadRedisUrl("unclosed '[' in the host");
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return BadRedisUrl("unexpected text after the host");
      }
      port = after.substr(1);
      if (port.empty()) {
        return BadRedisUrl("empty port");
      }
    }
    for (char c : host) {
      if (internal::HexDigitValue(c) < 0 && c != ':' && c != '.') {
        return BadRedisUrl("bad IPv6 address");
      }
    }
  } else {
    if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (port.empty()) {
        return BadRedisUrl("empty port");
      }
    }
    for (char c : host) {
      if (!IsHostChar(c)) {
        return BadRedisUrl("bad character in the host (no path or query is accepted)");
      }
    }
  }
  if (host.empty()) {
    return BadRedisUrl("no host");
  }
  options.host = std::string(host);
  if (!port.empty()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return BadRedisUrl("the port must be a number from 1 to 65535");
    }
    options.port = value;
  }
  return options;
}

}  // namespace locksmith
