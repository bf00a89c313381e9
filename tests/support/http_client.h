// HttpClient: a small blocking HTTP/1.1 client over a loopback socket, for the tests of the agent
// (keep-alive, HEAD, any method and header), plus raw-socket helpers for tests that misbehave on
// purpose (slow drip, floods, idle connections). Every wait is bounded by a timeout.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locksmith::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  bool server_closed = false;  // the server closed the connection after this answer

  // The first header called `name` (any case); empty when there is none.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpClient {
 public:
  // `host`: an IP address ("127.0.0.1", "::1").
  HttpClient(std::string host, int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request on the client's connection: opened on first use, kept alive, reopened after the
  // server closed it. nullopt when connecting, sending or reading fails or times out.
  std::optional<HttpResponse> Get(std::string_view path, const HttpHeaders& headers = {}) {
    return Send("GET", path, headers);
  }
  std::optional<HttpResponse> Send(std::string_view method, std::string_view path,
                                   const HttpHeaders& headers, std::string_view body = {});

  // Sends Host: <value> instead of host:port; an empty value sends no Host header.
  void set_host_header(std::string value) { host_header_ = std::move(value); }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Connections opened so far (a keep-alive test expects one).
  int connections_opened() const { return connections_opened_; }

 private:
  bool Connect();
  void Disconnect();
  std::optional<HttpResponse> Exchange(const std::string& request, bool head);

  std::string host_;
  int port_;
  std::optional<std::string> host_header_;
  std::chrono::milliseconds timeout_ = std::chrono::seconds(10);
  int fd_ = -1;
  int connections_opened_ = 0;
};

// A connected TCP socket to 127.0.0.1:port (-1 on failure); the caller closes it.
int ConnectLoopback(int port);
// Sends all of `data`; false when the peer closed or reset the connection (or `bound` passed).
bool SendAll(int fd, std::string_view data,
             std::chrono::milliseconds bound = std::chrono::seconds(10));
// Reads until the peer closes (or resets) the connection, or `bound` passes.
struct ReadResult {
  std::string data;
  bool closed = false;  // EOF or reset seen (false: the bound passed first)
};
ReadResult ReadUntilClosed(int fd, std::chrono::milliseconds bound);

}  // namespace locksmith::testing
