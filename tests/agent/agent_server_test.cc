// The agent over real HTTP on 127.0.0.1 (ephemeral port), with a real SecretsManager over an
// in-memory provider.
#include "agent/agent_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/http.h"
#include "agent/secret_json.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using json = nlohmann::json;

constexpr std::string_view kPlantedOld = "planted-old-Qx7vB2";
constexpr std::string_view kPlantedNew = "planted-new-\"quoted\"\n-Zr4kT9";
constexpr std::string_view kToken = "agent-token-for-tests-8d1e";

class AgentServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<testing::InMemoryProvider>(clock_);
    provider_ = provider.get();
    ASSERT_THAT(provider_->Put("database-password", SecretValue(kPlantedOld), Stage::kCurrent),
                IsOk());
    clock_.Advance(std::chrono::hours(1));
    clock_.SetWallNow(clock_.WallNow() + std::chrono::seconds(90));
    ASSERT_THAT(provider_->Put("database-password", SecretValue(kPlantedNew), Stage::kCurrent),
                IsOk());
    metrics_ = Metrics::Create();
    SecretsManagerOptions options;
    options.background_refresh = false;
    options.retry.max_attempts = 1;
    options.breaker.failure_threshold = 100;
    auto manager = SecretsManager::Create(
        std::move(provider),
        {.options = options, .clock = &clock_, .random = &random_, .metrics = metrics_.get()});
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();

    AgentOptions agent;
    agent.port = 0;
    agent.token = SecretValue(kToken);
    auto server = AgentServer::Create(std::move(agent), *manager_, metrics_.get());
    ASSERT_THAT(server, IsOk());
    server_ = std::move(server).value();
    ASSERT_THAT(server_->Start(), IsOk());
    ASSERT_GT(server_->Port(), 0);
    setup_calls_ = provider_->calls();
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
    }
    std::string logs = logs_.Text();
    EXPECT_THAT(logs, Not(HasSubstr(kPlantedOld)));
    EXPECT_THAT(logs, Not(HasSubstr("planted-new")));
    EXPECT_THAT(logs, Not(HasSubstr(kToken)));
  }

  httplib::Client Client() { return httplib::Client("127.0.0.1", server_->Port()); }

  // GET with the token (unless `token` is empty); records error bodies for the leak check.
  httplib::Result Get(const std::string& path, std::string_view token = kToken,
                      httplib::Headers extra = {}) {
    httplib::Headers headers = std::move(extra);
    if (!token.empty()) {
      headers.emplace(std::string(kAgentTokenHeader), std::string(token));
    }
    auto cli = Client();
    auto res = cli.Get(path.c_str(), headers);
    if (res && res->status != 200) {
      EXPECT_THAT(res->body, Not(HasSubstr(kPlantedOld)));
      EXPECT_THAT(res->body, Not(HasSubstr("planted-new")));
      EXPECT_THAT(res->body, Not(HasSubstr(kToken)));
    }
    return res;
  }

  static json ErrorBody(const httplib::Result& res) {
    json body = json::parse(res->body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << res->body;
    EXPECT_TRUE(body.contains("__type")) << res->body;
    EXPECT_TRUE(body.contains("message")) << res->body;
    return body;
  }

  testing::LogCapture logs_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::InMemoryProvider* provider_ = nullptr;
  int setup_calls_ = 0;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<SecretsManager> manager_;
  AgentServerPtr server_;
};

TEST_F(AgentServerTest, MissingTokenIsForbidden) {
  auto res = Get("/secretsmanager/get?secretId=database-password", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(ErrorBody(res)["__type"], "AccessDeniedException");
  EXPECT_EQ(provider_->calls(), setup_calls_);
}

TEST_F(AgentServerTest, WrongTokenIsForbidden) {
  for (std::string_view wrong :
       {"agent-token-for-tests-8d1f", "x", "agent-token-for-tests-8d1e0"}) {
    auto res = Get("/secretsmanager/get?secretId=database-password", wrong);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << wrong;
  }
  auto res = Get("/v1/database-password", "nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(AgentServerTest, ForwardedRequestsAreRefused) {
  auto res = Get("/secretsmanager/get?secretId=database-password", kToken,
                 {{"X-Forwarded-For", "10.0.0.1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorBody(res)["__type"], "InvalidRequestException");
  EXPECT_EQ(provider_->calls(), setup_calls_);
}

// Regression (issue 9): a Range larger than the body returned heap memory past it.
TEST_F(AgentServerTest, RangeRequestsAreRefusedWithNothingPastTheBody) {
  for (const char* path : {"/secretsmanager/get?secretId=database-password",
                           "/v1/database-password", "/ping", "/metrics"}) {
    auto res = Get(path, kToken, {{"Range", "bytes=0-4095"}});
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 416) << path;
    EXPECT_LT(res->body.size(), 200u) << path;
    EXPECT_EQ(ErrorBody(res)["__type"], "InvalidRequestException") << path;
  }
  // Without Range the same request is served whole.
  auto whole = Get("/secretsmanager/get?secretId=database-password");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
}

// Regression (issue 9): a chunked POST was read whole into memory before routing or the token
// check. Now anything but GET/HEAD is refused before the body is read, and the connection closed:
// the agent answers while the client is still sending, and stops reading.
TEST_F(AgentServerTest, BodiesAreRefusedBeforeTheyAreRead) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->Port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string head =
      "POST /secretsmanager/get?secretId=database-password HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  const std::string chunk = "1000\r\n" + std::string(0x1000, 'x') + "\r\n";
  ASSERT_EQ(send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(chunk.size()));
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);  // recv returned 0: the agent closed the connection without reading the body
  EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(answer, HasSubstr("Allow: GET, HEAD"));
  EXPECT_THAT(answer, Not(HasSubstr(kPlantedNew)));

  // A GET with a body (Content-Length) is refused too; other methods are 405.
  auto cli = Client();
  httplib::Headers token = {{std::string(kAgentTokenHeader), std::string(kToken)}};
  auto post = cli.Post("/ping", token, "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto del = Client().Delete("/v1/database-password", token);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(provider_->calls(), setup_calls_);
}

TEST_F(AgentServerTest, AnswersLikeGetSecretValue) {
  auto res = Get("/secretsmanager/get?secretId=database-password");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json body = json::parse(res->body);
  EXPECT_EQ(body["ARN"], "locksmith:local:database-password");
  EXPECT_EQ(body["Name"], "database-password");
  EXPECT_EQ(body["VersionId"], "v2");
  EXPECT_EQ(body["SecretString"], std::string(kPlantedNew));
  EXPECT_EQ(body["VersionStages"], json::array({"AWSCURRENT"}));
  ASSERT_TRUE(body["CreatedDate"].is_number());
  EXPECT_DOUBLE_EQ(body["CreatedDate"].get<double>(), internal::EpochSeconds(clock_.WallNow()));
}

TEST_F(AgentServerTest, SelectsVersionByStage) {
  for (std::string stage : {"AWSPREVIOUS", "previous", "awsprevious"}) {
    auto res = Get("/secretsmanager/get?secretId=database-password&versionStage=" + stage);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << stage;
    json body = json::parse(res->body);
    EXPECT_EQ(body["SecretString"], std::string(kPlantedOld));
    EXPECT_EQ(body["VersionId"], "v1");
    EXPECT_EQ(body["VersionStages"], json::array({"AWSPREVIOUS"}));
  }
  auto current = Get("/secretsmanager/get?secretId=database-password&versionStage=AWSCURRENT");
  ASSERT_TRUE(current);
  EXPECT_EQ(json::parse(current->body)["VersionId"], "v2");
}

TEST_F(AgentServerTest, SelectsVersionById) {
  auto res = Get("/secretsmanager/get?secretId=database-password&versionId=v1");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["SecretString"], std::string(kPlantedOld));

  auto both =
      Get("/secretsmanager/get?secretId=database-password&versionId=v1"
          "&versionStage=AWSPREVIOUS");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 200);

  auto mismatch =
      Get("/secretsmanager/get?secretId=database-password&versionId=v1"
          "&versionStage=AWSCURRENT");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 404);
  EXPECT_EQ(ErrorBody(mismatch)["__type"], "ResourceNotFoundException");

  auto unknown = Get("/secretsmanager/get?secretId=database-password&versionId=v9");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(AgentServerTest, BadParametersAreBadRequests) {
  auto stage = Get("/secretsmanager/get?secretId=database-password&versionStage=LATEST");
  ASSERT_TRUE(stage);
  EXPECT_EQ(stage->status, 400);
  EXPECT_EQ(ErrorBody(stage)["__type"], "InvalidParameterException");

  auto missing = Get("/secretsmanager/get");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(ErrorBody(missing)["__type"], "InvalidParameterException");

  // Without the token, a malformed request is still refused as unauthenticated first.
  auto unauthenticated = Get("/secretsmanager/get", "");
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->status, 403);
}

TEST_F(AgentServerTest, UnknownSecretIsNotFound) {
  auto res = Get("/secretsmanager/get?secretId=no-such-secret");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  json body = ErrorBody(res);
  EXPECT_EQ(body["__type"], "ResourceNotFoundException");
  EXPECT_THAT(body["message"].get<std::string>(), HasSubstr("no-such-secret"));
}

TEST_F(AgentServerTest, AlternativeV1Path) {
  auto res = Get("/v1/database-password");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["SecretString"], std::string(kPlantedNew));
  auto previous = Get("/v1/database-password?versionStage=AWSPREVIOUS");
  ASSERT_TRUE(previous);
  ASSERT_EQ(previous->status, 200);
  EXPECT_EQ(json::parse(previous->body)["SecretString"], std::string(kPlantedOld));
}

TEST_F(AgentServerTest, BackEndErrorsMapToStatuses) {
  struct Case {
    ErrorCode code;
    int status;
    std::string type;
  };
  std::vector<Case> cases = {
      {ErrorCode::kUnavailable, 503, "ServiceUnavailableException"},
      {ErrorCode::kDeadlineExceeded, 503, "ServiceUnavailableException"},
      {ErrorCode::kPermissionDenied, 403, "AccessDeniedException"},
      {ErrorCode::kUnauthenticated, 403, "UnrecognizedClientException"},
      {ErrorCode::kDataLoss, 500, "DecryptionFailure"},
      {ErrorCode::kInternal, 500, "InternalServiceError"},
  };
  int n = 0;
  for (const Case& c : cases) {
    provider_->Fail(c.code);
    // A fresh name each time, so nothing is served from the cache.
    auto res = Get("/secretsmanager/get?secretId=uncached-" + std::to_string(n++));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.status) << ErrorCodeName(c.code);
    EXPECT_EQ(ErrorBody(res)["__type"], c.type);
  }
}

TEST_F(AgentServerTest, PingAndMetricsNeedNoToken) {
  auto ping = Get("/ping", "");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(ping->body, "healthy");

  ASSERT_EQ(Get("/secretsmanager/get?secretId=database-password")->status, 200);
  auto metrics = Get("/metrics", "");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("secrets_manager_"));
  EXPECT_THAT(metrics->body, Not(HasSubstr("planted")));
}

TEST_F(AgentServerTest, UnknownPathIsJsonNotFound) {
  auto res = Get("/secretsmanager/put?secretId=x");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(ErrorBody(res)["__type"], "UnknownOperationException");
}

TEST_F(AgentServerTest, StopClosesTheListenerAndIsIdempotent) {
  int port = server_->Port();
  EXPECT_THAT(server_->Start(), HasError(ErrorCode::kFailedPrecondition));
  server_->Stop();
  server_->Stop();
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(1, 0);
  EXPECT_FALSE(cli.Get("/ping"));
}

TEST_F(AgentServerTest, BindingAPortInUseFails) {
  AgentOptions options;
  options.port = server_->Port();
  options.token = SecretValue(kToken);
  auto second = AgentServer::Create(std::move(options), *manager_, nullptr);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT((*second)->Start(), HasError(ErrorCode::kUnavailable));
}

TEST_F(AgentServerTest, MetricsWithoutRegistryIsNotFound) {
  AgentOptions options;
  options.port = 0;
  options.token = SecretValue(kToken);
  auto bare = AgentServer::Create(std::move(options), *manager_, nullptr);
  ASSERT_THAT(bare, IsOk());
  ASSERT_THAT((*bare)->Start(), IsOk());
  httplib::Client cli("127.0.0.1", (*bare)->Port());
  auto res = cli.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(AgentServerTest, ManyConcurrentRequests) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        httplib::Client cli("127.0.0.1", server_->Port());
        auto res = cli.Get("/secretsmanager/get?secretId=database-password",
                           {{std::string(kAgentTokenHeader), std::string(kToken)}});
        if (res && res->status == 200) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 80);
}

// --- Create's validation ------------------------------------------------------------------

class AgentCreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SecretsManagerOptions options;
    options.background_refresh = false;
    auto manager =
        SecretsManager::Create(std::make_unique<testing::InMemoryProvider>(clock_),
                               {.options = options, .clock = &clock_, .random = &random_});
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();
  }
  Result<AgentServerPtr> Create(std::string host, int port, std::string_view token,
                                bool allow = false) {
    AgentOptions options;
    options.host = std::move(host);
    options.port = port;
    options.token = SecretValue(token);
    options.allow_non_loopback = allow;
    return AgentServer::Create(std::move(options), *manager_, nullptr);
  }
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  std::unique_ptr<SecretsManager> manager_;
};

TEST_F(AgentCreateTest, RefusesNonLoopbackUnlessAllowed) {
  EXPECT_THAT(Create("0.0.0.0", 0, kToken), HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(Create("192.168.1.10", 0, kToken), HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(Create("example.com", 0, kToken), HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(Create("0.0.0.0", 0, kToken, /*allow=*/true), IsOk());
  EXPECT_THAT(Create("127.0.0.1", 0, kToken), IsOk());
  EXPECT_THAT(Create("[::1]", 0, kToken), IsOk());
}

TEST_F(AgentCreateTest, RejectsBadOptions) {
  EXPECT_THAT(Create("127.0.0.1", 0, ""), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Create("127.0.0.1", -1, kToken), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Create("127.0.0.1", 65536, kToken), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Create("", 0, kToken), HasError(ErrorCode::kInvalidArgument));
  AgentOptions options;
  options.token = SecretValue(kToken);
  options.threads = 0;
  EXPECT_THAT(AgentServer::Create(std::move(options), *manager_, nullptr),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(AgentCreateTest, ServesOnIpv6Loopback) {
  auto server = Create("::1", 0, kToken);
  ASSERT_THAT(server, IsOk());
  if (!(*server)->Start().ok()) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  httplib::Client cli("::1", (*server)->Port());
  auto res = cli.Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "healthy");
}

}  // namespace
}  // namespace locksmith
