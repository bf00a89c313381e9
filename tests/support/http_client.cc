#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace locksmith::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

int ConnectTo(const std::string& host, int port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) {
      return -1;
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) {
      return -1;
    }
    length = sizeof(sockaddr_in);
  }
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd);
    return -1;
  }
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  return fd;
}

// Waits until `fd` is readable (or writable) or `deadline` passes.
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) {
      return true;
    }
    if (n < 0 && errno != EINTR) {
      return false;
    }
  }
}

// Reads what is available into `out`; 0 on EOF, -1 on error or timeout.
ssize_t ReadSome(int fd, std::string& out, SteadyClock::time_point deadline) {
  if (!WaitFor(fd, POLLIN, deadline)) {
    return -1;
  }
  char buffer[16384];
  const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
  if (n > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return n;
}

bool HeaderNameIs(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameIs(key, name)) {
      return value;
    }
  }
  return "";
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (HeaderNameIs(header.first, name)) {
      return true;
    }
  }
  return false;
}

HttpClient::HttpClient(std::string host, int port) : host_(std::move(host)), port_(port) {}

HttpClient::~HttpClient() { Disconnect(); }

bool HttpClient::Connect() {
  fd_ = ConnectTo(host_, port_);
  if (fd_ >= 0) {
    ++connections_opened_;
  }
  return fd_ >= 0;
}

void HttpClient::Disconnect() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

std::optional<HttpResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                             const HttpHeaders& headers, std::string_view body) {
  std::string request;
  request.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  const std::string host_value = host_header_.value_or(host + ":" + std::to_string(port_));
  if (!host_value.empty()) {
    request.append("Host: ").append(host_value).append("\r\n");
  }
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty()) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  const bool head = method == "HEAD";
  const bool reused = fd_ >= 0;
  if (!reused && !Connect()) {
    return std::nullopt;
  }
  auto response = Exchange(request, head);
  if (!response && reused) {
    // The server may have closed the idle connection just before: one retry on a new one.
    Disconnect();
    if (!Connect()) {
      return std::nullopt;
    }
    response = Exchange(request, head);
  }
  if (!response || response->server_closed) {
    Disconnect();
  }
  return response;
}

std::optional<HttpResponse> HttpClient::Exchange(const std::string& request, bool head) {
  const auto deadline = SteadyClock::now() + timeout_;
  if (!SendAll(fd_, request, timeout_)) {
    return std::nullopt;
  }
  std::string data;
  std::size_t end_of_head = std::string::npos;
  while ((end_of_head = data.find("\r\n\r\n")) == std::string::npos) {
    if (ReadSome(fd_, data, deadline) <= 0) {
      return std::nullopt;
    }
  }
  HttpResponse response;
  std::string_view head_text(data.data(), end_of_head);
  std::size_t line_end = head_text.find("\r\n");
  std::string_view status_line = head_text.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    return std::nullopt;
  }
  response.status = std::stoi(std::string(status_line.substr(9, 3)));
  while (line_end != std::string_view::npos) {
    head_text.remove_prefix(line_end + 2);
    line_end = head_text.find("\r\n");
    std::string_view line = head_text.substr(0, line_end);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  std::string rest = data.substr(end_of_head + 4);
  response.server_closed = HeaderNameIs(response.Header("Connection"), "close");
  if (head) {
    response.body = std::move(rest);
    return response;
  }
  if (response.HasHeader("Content-Length")) {
    const std::size_t length = std::stoul(response.Header("Content-Length"));
    while (rest.size() < length) {
      if (ReadSome(fd_, rest, deadline) <= 0) {
        return std::nullopt;
      }
    }
    response.body = rest.substr(0, length);
    return response;
  }
  while (ReadSome(fd_, rest, deadline) > 0) {
  }
  response.body = std::move(rest);
  response.server_closed = true;
  return response;
}

int ConnectLoopback(int port) { return ConnectTo("127.0.0.1", port); }

bool SendAll(int fd, std::string_view data, std::chrono::milliseconds bound) {
  const auto deadline = SteadyClock::now() + bound;
  while (!data.empty()) {
    if (!WaitFor(fd, POLLOUT, deadline)) {
      return false;
    }
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

ReadResult ReadUntilClosed(int fd, std::chrono::milliseconds bound) {
  const auto deadline = SteadyClock::now() + bound;
  ReadResult result;
  for (;;) {
    if (!WaitFor(fd, POLLIN, deadline)) {
      return result;
    }
    char buffer[16384];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      result.data.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    result.closed = true;
    return result;
  }
}

}  // namespace locksmith::testing
