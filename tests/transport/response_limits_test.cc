// The caps on what an HTTP answer may make the client hold: body bytes (declared by
// Content-Length, or streamed until the server closes) and header bytes.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "locksmith/testing/matchers.h"
#include "transport/curl_http_client.h"
#include "transport/test_http_server.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::TestHttpServer;
using ::locksmith::testing::TestRequest;
using ::locksmith::testing::TestResponse;
using ::testing::HasSubstr;
using ::testing::Not;

HttpClientPtr MakeLimitedClient(CurlHttpClientOptions options = {}) {
  auto client = CreateCurlHttpClient(options);
  EXPECT_THAT(client, IsOk());
  return std::move(client).value();
}

// Answers one request with `total` body bytes and no Content-Length (the body ends when the
// connection closes), in 64 KiB writes, and counts what the kernel accepted before the client
// hung up.
class StreamingServer {
 public:
  explicit StreamingServer(std::size_t total) : total_(total) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StreamingServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(listen_fd_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // Waits for the answer to end (a real socket event: the client closing), then returns the count.
  std::size_t WaitForSent() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return sent_.load();
  }

 private:
  void Serve() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    char head[4096];
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, head, sizeof(head), 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      request.append(head, static_cast<std::size_t>(n));
    }
    const std::string start = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"value\":\"";
    ::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    const std::string chunk(64 * 1024, 'a');
    while (sent_ < total_) {
      ssize_t n = ::send(fd, chunk.data(), std::min(chunk.size(), total_ - sent_), MSG_NOSIGNAL);
      if (n <= 0) {
        break;
      }
      sent_ += static_cast<std::size_t>(n);
    }
    ::send(fd, "\"}", 2, MSG_NOSIGNAL);
    ::close(fd);
  }

  std::size_t total_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<std::size_t> sent_{0};
  std::thread thread_;
};

TEST(HttpResponseLimitsTest, DeclaredBodyOverTheCapIsRefusedWithoutQuotingIt) {
  TestHttpServer server([](const TestRequest&) {
    TestResponse response;
    response.body = std::string(2 * 1024 * 1024, 'z');
    return response;
  });
  CurlHttpClientOptions options;
  options.max_response_bytes = 1024 * 1024;
  auto client = MakeLimitedClient(options);
  auto response = client->Send(HttpRequest("GET", server.Url("/big")));
  EXPECT_THAT(response, HasErrorMessage(ErrorCode::kDataLoss, "exceeds 1048576 bytes"));
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.error().message, Not(HasSubstr("zzzz")));
  // A body exactly at the cap is fine; so is the next request on the same client.
  TestHttpServer exact([](const TestRequest&) {
    TestResponse response;
    response.body = std::string(1024 * 1024, 'z');
    return response;
  });
  auto ok = client->Send(HttpRequest("GET", exact.Url("/exact")));
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->body.size(), 1024u * 1024u);
}

// 64 MiB with no Content-Length: the client gives up at its cap (8 MiB by default) instead of
// holding it all; the server could hand the kernel only a little more than the cap before the
// client hung up.
TEST(HttpResponseLimitsTest, StreamedBodyStopsAtTheDefaultCap) {
  StreamingServer server(std::size_t{64} << 20);
  auto client = MakeLimitedClient();
  auto response = client->Send(HttpRequest("GET", server.Url()));
  EXPECT_THAT(response, HasErrorMessage(ErrorCode::kDataLoss, "exceeds 8388608 bytes"));
  EXPECT_LT(server.WaitForSent(), std::size_t{32} << 20);
}

TEST(HttpResponseLimitsTest, RequestCapLowersTheClientCap) {
  TestHttpServer server([](const TestRequest&) {
    TestResponse response;
    response.body = std::string(4096, 'z');
    return response;
  });
  auto client = MakeLimitedClient();
  HttpRequest request("GET", server.Url("/small"));
  request.max_response_bytes = 1024;
  EXPECT_THAT(client->Send(request), HasErrorMessage(ErrorCode::kDataLoss, "exceeds 1024 bytes"));
  request.max_response_bytes = 4096;
  EXPECT_THAT(client->Send(request), IsOk());
  // A request cannot raise the client's cap.
  CurlHttpClientOptions options;
  options.max_response_bytes = 2048;
  request.max_response_bytes = 1 << 20;
  EXPECT_THAT(MakeLimitedClient(options)->Send(request),
              HasErrorMessage(ErrorCode::kDataLoss, "exceeds 2048 bytes"));
}

TEST(HttpResponseLimitsTest, HeadersOverTheCapAreRefused) {
  TestHttpServer server([](const TestRequest&) {
    TestResponse response;
    for (int i = 0; i < 100; ++i) {
      response.headers.push_back({"X-Filler-" + std::to_string(i), std::string(1000, 'h')});
    }
    return response;
  });
  CurlHttpClientOptions options;
  options.max_response_header_bytes = 64 * 1024;
  EXPECT_THAT(MakeLimitedClient(options)->Send(HttpRequest("GET", server.Url("/headers"))),
              HasErrorMessage(ErrorCode::kDataLoss, "headers exceed 65536 bytes"));
  options.max_response_header_bytes = 256 * 1024;
  EXPECT_THAT(MakeLimitedClient(options)->Send(HttpRequest("GET", server.Url("/headers"))), IsOk());
}

}  // namespace
}  // namespace locksmith::internal
