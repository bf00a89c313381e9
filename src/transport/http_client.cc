#include "transport/http_client.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace locksmith::internal {

bool HeaderNameLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return ToLower(x) < ToLower(y); });
}

void WipeString(std::string& text) {
  // capacity() covers the small-string buffer too, which a move leaves holding stale bytes.
  if (text.capacity() > 0) {
    OPENSSL_cleanse(text.data(), text.capacity());
  }
  text.clear();
}

HttpRequest::~HttpRequest() {
  WipeString(body);
  for (auto& [name, value] : headers) {
    WipeString(value);
  }
}

HttpResponse::~HttpResponse() { WipeString(body); }

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(name);
  if (it == headers.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

std::optional<std::chrono::milliseconds> HttpResponse::RetryAfter() const {
  constexpr std::chrono::seconds kMaxRetryAfter = std::chrono::hours(24);
  auto value = Header("Retry-After");
  if (!value) {
    return std::nullopt;
  }
  std::string_view text = *value;
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  text = text.substr(first, text.find_last_not_of(" \t") - first + 1);
  std::chrono::seconds delay{0};
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    delay = std::min(delay * 10 + std::chrono::seconds(c - '0'), kMaxRetryAfter);
  }
  return delay;
}

Result<UrlParts> ParseUrlParts(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "not an absolute URL (expected scheme://host)");
  }
  UrlParts parts;
  parts.scheme = ToLower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed IPv6 host in URL");
    }
    host = authority.substr(0, close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "URL has no host");
  }
  parts.host = std::string(host);
  return parts;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace locksmith::internal
