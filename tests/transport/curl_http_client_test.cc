#include "transport/curl_http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"
#include "transport/test_http_server.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::TestHttpServer;
using ::locksmith::testing::TestRequest;
using ::locksmith::testing::TestResponse;
using ::testing::HasSubstr;
using ::testing::Not;

HttpClientPtr MakeClient(CurlHttpClientOptions options = {}) {
  auto client = CreateCurlHttpClient(options);
  EXPECT_THAT(client, IsOk());
  return std::move(client).value();
}

TestResponse Echo(const TestRequest& request) {
  TestResponse response;
  response.headers.push_back({"X-Method", request.method});
  response.headers.push_back({"X-Target", request.target});
  auto token = request.headers.find("x-vault-token");
  response.headers.push_back(
      {"X-Seen-Token", token == request.headers.end() ? "<none>" : token->second});
  response.body = request.body;
  return response;
}

TEST(CurlHttpClientTest, GetReturnsStatusHeadersAndBody) {
  TestHttpServer server([](const TestRequest& r) {
    TestResponse response = Echo(r);
    response.status = 203;
    response.body = "hello";
    response.headers.push_back({"Content-Type", "text/plain"});
    return response;
  });
  auto client = MakeClient();
  HttpRequest request("GET", server.Url("/v1/x?version=2"));
  request.headers.push_back({"X-Vault-Token", "tok"});
  auto response = client->Send(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 203);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("x-method"), "GET");
  EXPECT_EQ(response->Header("X-TARGET"), "/v1/x?version=2");
  EXPECT_EQ(response->Header("content-type"), "text/plain");
  EXPECT_EQ(response->Header("x-seen-token"), "tok");
  EXPECT_EQ(response->Header("x-absent"), std::nullopt);
}

// Issue 9: libcurl took http_proxy from the environment even for loopback, so plain-http
// traffic to a local Vault (token included) went to whatever proxy the environment named.
TEST(CurlHttpClientTest, LoopbackNeverGoesThroughAProxyFromTheEnvironment) {
  TestHttpServer proxy([](const TestRequest&) {
    TestResponse response;
    response.body = "via-proxy";
    return response;
  });
  TestHttpServer server([](const TestRequest&) {
    TestResponse response;
    response.body = "direct";
    return response;
  });
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  struct ProxyEnv {
    explicit ProxyEnv(const std::string& url) {
      for (const char* var : {"http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"}) {
        ::setenv(var, url.c_str(), 1);
      }
      ::unsetenv("NO_PROXY");
      ::unsetenv("no_proxy");
    }
    ~ProxyEnv() {
      for (const char* var : {"http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"}) {
        ::unsetenv(var);
      }
    }
  } env(proxy_url);
  auto client = MakeClient();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    HttpRequest request("GET",
                        "http://" + host + ":" + std::to_string(server.port()) + "/v1/secret");
    request.timeout = std::chrono::seconds(5);
    auto response = client->Send(request);
    ASSERT_THAT(response, IsOk()) << host;
    EXPECT_EQ(response->body, "direct") << host;
  }
  EXPECT_EQ(proxy.accepted_connections(), 0);
}

TEST(CurlHttpClientTest, PostSendsBody) {
  TestHttpServer server(Echo);
  auto client = MakeClient();
  HttpRequest request("POST", server.Url("/v1/secret/data/a"));
  request.body = R"({"data":{"value":"v"}})";
  auto response = client->Send(request);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->Header("x-method"), "POST");
  EXPECT_EQ(response->body, R"({"data":{"value":"v"}})");
}

TEST(CurlHttpClientTest, EmptyPostSendsNoBody) {
  TestHttpServer server(Echo);
  auto client = MakeClient();
  auto response = client->Send(HttpRequest("POST", server.Url("/renew")));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->Header("x-method"), "POST");
  EXPECT_EQ(response->body, "");
}

TEST(CurlHttpClientTest, CustomMethodList) {
  TestHttpServer server(Echo);
  auto client = MakeClient();
  auto response = client->Send(HttpRequest("LIST", server.Url("/v1/secret/metadata/")));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->Header("x-method"), "LIST");
  EXPECT_EQ(response->Header("x-target"), "/v1/secret/metadata/");
}

TEST(CurlHttpClientTest, ReusesOneConnectionAcrossSequentialCalls) {
  TestHttpServer server(Echo);
  auto client = MakeClient();
  for (int i = 0; i < 10; ++i) {
    auto response = client->Send(HttpRequest("GET", server.Url("/n")));
    ASSERT_THAT(response, IsOk());
  }
  EXPECT_EQ(server.accepted_connections(), 1);
}

TEST(CurlHttpClientTest, ParallelCallsShareAPoolOfConnections) {
  TestHttpServer server(Echo);
  auto client = MakeClient();
  constexpr int kThreads = 4;
  constexpr int kCalls = 25;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (client->Send(HttpRequest("GET", server.Url("/p"))).ok()) {
          ok++;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_LE(server.accepted_connections(), kThreads);
}

TEST(CurlHttpClientTest, TimeoutIsDeadlineExceeded) {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  TestHttpServer server([&](const TestRequest& r) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return released; });
    return Echo(r);
  });
  auto client = MakeClient();
  HttpRequest request("GET", server.Url("/slow"));
  request.timeout = std::chrono::milliseconds(200);
  auto response = client->Send(request);
  {
    std::lock_guard lock(mu);
    released = true;
  }
  cv.notify_all();
  EXPECT_THAT(response, HasError(ErrorCode::kDeadlineExceeded));
}

TEST(CurlHttpClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    TestHttpServer server(Echo);
    port = server.port();
  }
  auto client = MakeClient();
  auto response =
      client->Send(HttpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_THAT(response, HasErrorMessage(ErrorCode::kUnavailable, "127.0.0.1"));
}

TEST(CurlHttpClientTest, PlainHttpToNonLoopbackIsRefusedWithoutNetwork) {
  auto client = MakeClient();
  // A name that cannot resolve: a network attempt would give kUnavailable instead.
  auto response = client->Send(HttpRequest("GET", "http://vault.invalid:8200/v1/sys/health"));
  EXPECT_THAT(response, HasErrorMessage(ErrorCode::kFailedPrecondition, "plain http://"));
  auto ip = client->Send(HttpRequest("GET", "http://10.255.255.1:8200/"));
  EXPECT_THAT(ip, HasError(ErrorCode::kFailedPrecondition));
}

TEST(CurlHttpClientTest, PlainHttpToNonLoopbackAllowedWhenExplicit) {
  CurlHttpClientOptions options;
  options.allow_plain_http_non_loopback = true;
  options.connect_timeout = std::chrono::milliseconds(500);
  auto client = MakeClient(options);
  auto response = client->Send(HttpRequest("GET", "http://vault.invalid:8200/"));
  // It tried the network: the name does not resolve.
  EXPECT_THAT(response, HasError(ErrorCode::kUnavailable));
}

TEST(CurlHttpClientTest, RejectsBadSchemesAndMethods) {
  auto client = MakeClient();
  EXPECT_THAT(client->Send(HttpRequest("GET", "ftp://127.0.0.1/")),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(client->Send(HttpRequest("GET", "not a url")), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(client->Send(HttpRequest("BAD METHOD", "http://127.0.0.1:1/")),
              HasError(ErrorCode::kInvalidArgument));
}

TEST(CurlHttpClientTest, HttpsWithUntrustedCertificateFailsClosed) {
  // A plain HTTP server spoken to with https:// fails the handshake: kUnavailable, not a
  // silent downgrade.
  TestHttpServer server(Echo);
  auto client = MakeClient();
  auto response =
      client->Send(HttpRequest("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/"));
  EXPECT_THAT(response, HasError(ErrorCode::kUnavailable));
}

TEST(CurlHttpClientTest, OptionsValidation) {
  CurlHttpClientOptions half;
  half.client_cert = "/etc/hostname";
  EXPECT_THAT(CreateCurlHttpClient(half), HasError(ErrorCode::kInvalidArgument));
  CurlHttpClientOptions missing;
  missing.ca_cert = "/nonexistent/ca.pem";
  EXPECT_THAT(CreateCurlHttpClient(missing), HasErrorMessage(ErrorCode::kInvalidArgument, "CA"));
}

TEST(CurlHttpClientTest, SkipVerifyWarnsLoudly) {
  locksmith::testing::LogCapture capture;
  CurlHttpClientOptions options;
  options.insecure_skip_verify = true;
  auto client = MakeClient(options);
  EXPECT_THAT(capture.Text(), HasSubstr("VERIFICATION IS DISABLED"));
  locksmith::testing::LogCapture quiet;
  auto normal = MakeClient();
  EXPECT_THAT(quiet.Text(), Not(HasSubstr("DISABLED")));
}

TEST(HttpClientHelpersTest, ParseUrlParts) {
  auto parts = ParseUrlParts("HTTPS://user@vault.example.com:8200/v1/x?y#z");
  ASSERT_THAT(parts, IsOk());
  EXPECT_EQ(parts->scheme, "https");
  EXPECT_EQ(parts->host, "vault.example.com");
  auto v6 = ParseUrlParts("http://[::1]:8200/");
  ASSERT_THAT(v6, IsOk());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_THAT(ParseUrlParts("http://[::1/"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseUrlParts("http:///x"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseUrlParts("/relative"), HasError(ErrorCode::kInvalidArgument));
}

TEST(HttpClientHelpersTest, UrlEncodeAndWipe) {
  EXPECT_EQ(UrlEncode("a b/c~d"), "a%20b%2Fc~d");
  std::string s = "secret";
  WipeString(s);
  EXPECT_TRUE(s.empty());
  HttpResponse moved_from;
  moved_from.body = "short";
  HttpResponse target = std::move(moved_from);
  EXPECT_EQ(target.body, "short");
}

// Found by the fault matrix: a 429's Retry-After was never read. Delta-seconds only, capped.
TEST(HttpClientHelpersTest, RetryAfterReadsDeltaSeconds) {
  auto with = [](std::string value) {
    HttpResponse response;
    response.headers.emplace("retry-after", std::move(value));
    return response.RetryAfter();
  };
  EXPECT_EQ(HttpResponse().RetryAfter(), std::nullopt);
  EXPECT_EQ(with("2"), std::chrono::milliseconds(2000));
  EXPECT_EQ(with(" 0 "), std::chrono::milliseconds(0));
  EXPECT_EQ(with("99999999999999999999"), std::chrono::hours(24));  // capped, no overflow
  EXPECT_EQ(with("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);   // HTTP-date: not read
  EXPECT_EQ(with("-1"), std::nullopt);
  EXPECT_EQ(with("1.5"), std::nullopt);
  EXPECT_EQ(with(""), std::nullopt);
}

}  // namespace
}  // namespace locksmith::internal
