#include "agent/http_text.h"

#include <charconv>

#include "core/strings.h"

namespace locksmith::internal {
namespace {

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int hi = HexDigitValue(text[i + 1]);
      const int lo = HexDigitValue(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

Result<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (segment.empty()) {
      continue;
    }
    const std::size_t eq = segment.find('=');
    auto name = PercentDecode(segment.substr(0, eq), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1), true);
    if (!name || !value) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "malformed query string (bad percent escape or NUL)");
    }
    if (FindParam(params, *name)) {
      return MakeError(ErrorCode::kInvalidArgument, "query parameter " + *name + " given twice");
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string_view> FindParam(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

bool IsLoopbackHostHeader(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  if (host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !AllDigits(rest.substr(1)))) {
      return false;
    }
    return IsLoopbackHost(host.substr(0, close + 1));
  }
  const std::size_t colon = host.find(':');
  if (colon != std::string_view::npos) {
    if (host.find(':', colon + 1) != std::string_view::npos) {
      return false;  // an IPv6 address must be bracketed in a Host header
    }
    if (!AllDigits(host.substr(colon + 1))) {
      return false;
    }
    host = host.substr(0, colon);
  }
  return IsLoopbackHost(host);
}

std::string_view StatusReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

void AppendResponseHead(const ResponseHead& head, std::string& out) {
  char number[24];
  out.append("HTTP/1.1 ");
  out.append(number, std::to_chars(number, number + sizeof(number), head.status).ptr);
  out.push_back(' ');
  out.append(StatusReason(head.status));
  out.append("\r\nContent-Type: ");
  out.append(head.content_type);
  out.append("\r\nContent-Length: ");
  out.append(number, std::to_chars(number, number + sizeof(number), head.content_length).ptr);
  if (head.allow_get_head) {
    out.append("\r\nAllow: GET, HEAD");
  }
  out.append(head.keep_alive ? "\r\nConnection: keep-alive\r\n\r\n"
                             : "\r\nConnection: close\r\n\r\n");
}

}  // namespace locksmith::internal
