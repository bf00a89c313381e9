// The agent over real HTTP on 127.0.0.1 (ephemeral port), with a real SecretsManager over an
// in-memory provider: the answers (agent_limits_test.cc has the resource bounds).
#include "agent/agent_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_test_fixture.h"
#include "agent/secret_json.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"
#include "support/http_client.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpHeaders;
using testing::IsOk;
using testing::kPlantedNew;
using testing::kPlantedOld;
using ::testing::Not;
using json = nlohmann::json;

constexpr std::string_view kToken = testing::kAgentTestToken;

using AgentServerTest = testing::AgentTest;

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
  const int fd = testing::ConnectLoopback(server_->Port());
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /secretsmanager/get?secretId=database-password HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  ASSERT_TRUE(testing::SendAll(fd, head));
  const std::string chunk = "1000\r\n" + std::string(0x1000, 'x') + "\r\n";
  ASSERT_TRUE(testing::SendAll(fd, chunk));
  testing::ReadResult answer = testing::ReadUntilClosed(fd, std::chrono::seconds(10));
  close(fd);
  EXPECT_TRUE(answer.closed);  // the agent closed the connection without reading the body
  EXPECT_THAT(answer.data, ::testing::StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(answer.data, HasSubstr("Allow: GET, HEAD"));
  EXPECT_THAT(answer.data, HasSubstr("Connection: close"));
  EXPECT_THAT(answer.data, Not(HasSubstr(kPlantedNew)));

  // A GET with a body (Content-Length) is 400; other methods are 405 with Allow.
  HttpClient client("127.0.0.1", server_->Port());
  auto get_with_body = client.Send("GET", "/ping", TokenHeader(), "x");
  ASSERT_TRUE(get_with_body);
  EXPECT_EQ(get_with_body->status, 400);
  EXPECT_TRUE(get_with_body->server_closed);
  auto post = client.Send("POST", "/ping", TokenHeader(), "x");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->Header("Allow"), "GET, HEAD");
  EXPECT_TRUE(post->server_closed);
  EXPECT_EQ(ErrorBody(post)["__type"], "InvalidRequestException");
  auto del = client.Send("DELETE", "/v1/database-password", TokenHeader());
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto chunked = client.Send("GET", "/ping", {{"Transfer-Encoding", "chunked"}});
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 400);
  EXPECT_EQ(provider_->calls(), setup_calls_);
}

TEST_F(AgentServerTest, AnswersLikeGetSecretValue) {
  auto res = Get("/secretsmanager/get?secretId=database-password");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->Header("Content-Type"), "application/json");
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
    // The back end's own words ("injected failure: ...") stay in the log: a back end may echo
    // what locksmith cannot know to scrub, and the body goes to anyone holding the token.
    EXPECT_THAT(ErrorBody(res)["message"].get<std::string>(),
                ::testing::Not(::testing::HasSubstr("injected failure")));
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
  for (const char* path : {"/nothing-here", "/secretsmanager", "/v2/database-password"}) {
    auto res = Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(ErrorBody(res)["__type"], "UnknownOperationException") << path;
  }
}

// Issue 9: the AWS agent's path form, the id is everything after the prefix, percent-decoded.
TEST_F(AgentServerTest, PathFormKeepsSlashesAndDecodesEscapes) {
  ASSERT_THAT(provider_->Put("team/db/password", SecretValue(kPlantedOld), Stage::kCurrent),
              IsOk());
  for (const char* path :
       {"/secretsmanager/team/db/password", "/secretsmanager/team%2Fdb%2Fpassword",
        "/secretsmanager/team%2fdb/password?versionStage=AWSCURRENT"}) {
    auto res = Get(path);
    ASSERT_TRUE(res) << path;
    ASSERT_EQ(res->status, 200) << path << " " << res->body;
    json body = json::parse(res->body);
    EXPECT_EQ(body["Name"], "team/db/password");
    EXPECT_EQ(body["SecretString"], std::string(kPlantedOld));
  }
  auto plain = Get("/secretsmanager/database-password?versionStage=AWSPREVIOUS");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200);
  EXPECT_EQ(json::parse(plain->body)["SecretString"], std::string(kPlantedOld));
  // The path form needs the token like the others.
  auto refused = Get("/secretsmanager/team/db/password", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
}

TEST_F(AgentServerTest, MalformedEscapesAndNulAreBadRequests) {
  for (const char* path :
       {"/secretsmanager/team%2", "/secretsmanager/team%zzdb", "/secretsmanager/a%00b", "/v1/a%0",
        "/secretsmanager/get?secretId=a%00b", "/secretsmanager/get?secretId=%g1",
        "/secretsmanager/get?secretId=a&secretId=b",
        "/secretsmanager/get?secretId=x&refreshNow=1"}) {
    auto res = Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_EQ(ErrorBody(res)["__type"], "InvalidParameterException") << path;
  }
  // '+' is a space in a query string (and then not a valid name: 400 from the manager).
  auto plus = Get("/secretsmanager/get?secretId=database+password");
  ASSERT_TRUE(plus);
  EXPECT_EQ(plus->status, 400);
  EXPECT_EQ(provider_->calls(), setup_calls_);
}

// Issue 9 (DNS rebinding): a page whose name now resolves to 127.0.0.1 sends its own Host.
TEST_F(AgentServerTest, NonLoopbackHostIsRefused) {
  for (const char* host : {"evil.example", "evil.example:2773", "127.0.0.1.evil.example",
                           "10.0.0.1:2773", "[::2]:2773", "localhost:x"}) {
    HttpClient client("127.0.0.1", server_->Port());
    client.set_host_header(host);
    for (const char* path :
         {"/secretsmanager/get?secretId=database-password", "/ping", "/metrics"}) {
      auto res = client.Get(path, TokenHeader());
      ASSERT_TRUE(res) << host << path;
      EXPECT_EQ(res->status, 400) << host << path;
      EXPECT_THAT(res->body, Not(HasSubstr("planted")));
    }
  }
  for (const char* host : {"localhost", "localhost:2773", "127.0.0.1", "127.1.2.3:80", "[::1]",
                           "[::1]:2773", "LOCALHOST"}) {
    HttpClient client("127.0.0.1", server_->Port());
    client.set_host_header(host);
    auto res = client.Get("/secretsmanager/get?secretId=database-password", TokenHeader());
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host;
  }
  // HTTP/1.1 without a Host header is malformed.
  HttpClient no_host("127.0.0.1", server_->Port());
  no_host.set_host_header("");
  auto res = no_host.Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(AgentServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpClient client("127.0.0.1", server_->Port());
  for (int i = 0; i < 3; ++i) {
    auto secret = client.Get("/secretsmanager/get?secretId=database-password", TokenHeader());
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->status, 200);
    EXPECT_FALSE(secret->server_closed);
    auto ping = client.Get("/ping");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->body, "healthy");
  }
  // An error that is not about the connection keeps it open too.
  auto missing = client.Get("/secretsmanager/get?secretId=nope", TokenHeader());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(client.Get("/ping")->status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(AgentServerTest, HeadAnswersHeadersOnlyWithTheGetLength) {
  HttpClient client("127.0.0.1", server_->Port());
  auto get = client.Get("/secretsmanager/get?secretId=database-password", TokenHeader());
  ASSERT_TRUE(get);
  ASSERT_EQ(get->status, 200);
  auto head = client.Send("HEAD", "/secretsmanager/get?secretId=database-password", TokenHeader());
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_TRUE(head->body.empty());
  // The connection is still in step: the next answer is parsed from its first byte.
  auto ping = client.Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->body, "healthy");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(AgentServerTest, RefreshNowIsRateLimitedPerSecret) {
  const std::string path = "/secretsmanager/get?secretId=database-password&refreshNow=true";
  ASSERT_EQ(Get("/secretsmanager/get?secretId=database-password")->status, 200);
  const int warm = provider_->calls();
  ASSERT_EQ(Get("/secretsmanager/get?secretId=database-password")->status, 200);
  EXPECT_EQ(provider_->calls(), warm);  // cached

  // The first refreshNow reaches the back end and sees a new version at once.
  ASSERT_THAT(provider_->Put("database-password", SecretValue("planted-new-3"), Stage::kCurrent),
              IsOk());
  const int before = provider_->calls();
  auto first = Get(path);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(json::parse(first->body)["VersionId"], "v3");
  EXPECT_EQ(provider_->calls(), before + 1);
  // A second one inside the interval is served from the cache.
  auto second = Get(path);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(provider_->calls(), before + 1);
  // The path form shares the limit of the same secret; another secret has its own.
  EXPECT_EQ(Get("/secretsmanager/database-password?refreshNow=true")->status, 200);
  EXPECT_EQ(provider_->calls(), before + 1);
  EXPECT_EQ(Get("/secretsmanager/get?secretId=other&refreshNow=true")->status, 404);
  EXPECT_EQ(provider_->calls(), before + 2);
  // After the interval (1 s by default), one more.
  clock_.Advance(std::chrono::milliseconds(1001));
  EXPECT_EQ(Get(path)->status, 200);
  EXPECT_EQ(provider_->calls(), before + 3);
  EXPECT_EQ(Get(path)->status, 200);
  EXPECT_EQ(provider_->calls(), before + 3);
  // refreshNow=false is a plain read.
  EXPECT_EQ(Get("/v1/database-password?refreshNow=false")->status, 200);
  EXPECT_EQ(provider_->calls(), before + 3);
}

TEST_F(AgentServerTest, StopClosesTheListenerAndIsIdempotent) {
  int port = server_->Port();
  EXPECT_THAT(server_->Start(), HasError(ErrorCode::kFailedPrecondition));
  server_->Stop();
  server_->Stop();
  EXPECT_LT(testing::ConnectLoopback(port), 0);
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
  HttpClient client("127.0.0.1", (*bare)->Port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(AgentServerTest, ManyConcurrentRequests) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpClient client("127.0.0.1", server_->Port());
        auto res = client.Get("/secretsmanager/get?secretId=database-password", TokenHeader());
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
  HttpClient client("::1", (*server)->Port());
  auto res = client.Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "healthy");
}

}  // namespace
}  // namespace locksmith
