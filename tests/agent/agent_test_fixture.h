// AgentTest: an AgentServer on 127.0.0.1 (ephemeral port) over a real SecretsManager on an
// in-memory provider with a fake clock, and an HttpClient for it. A test fixture derived from it
// changes the agent's options in Customize. TearDown checks that the logs hold no planted value
// and no token.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agent/agent_server.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"
#include "support/http_client.h"
#include "support/log_capture.h"

namespace locksmith::testing {

inline constexpr std::string_view kPlantedOld = "planted-old-Qx7vB2";
inline constexpr std::string_view kPlantedNew = "planted-new-\"quoted\"\n-Zr4kT9";
inline constexpr std::string_view kAgentTestToken = "agent-token-for-tests-8d1e";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<InMemoryProvider>(clock_);
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
    agent.token = SecretValue(kAgentTestToken);
    agent.clock = &clock_;
    Customize(agent);
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
    EXPECT_THAT(logs, ::testing::Not(::testing::HasSubstr(kPlantedOld)));
    EXPECT_THAT(logs, ::testing::Not(::testing::HasSubstr("planted-new")));
    EXPECT_THAT(logs, ::testing::Not(::testing::HasSubstr(kAgentTestToken)));
  }

  virtual void Customize(AgentOptions&) {}

  static HttpHeaders TokenHeader(std::string_view token = kAgentTestToken) {
    return {{std::string(kAgentTokenHeader), std::string(token)}};
  }

  // GET on a new connection with the token (unless `token` is empty); checks that an error body
  // holds no planted value and no token.
  std::optional<HttpResponse> Get(const std::string& path, std::string_view token = kAgentTestToken,
                                  HttpHeaders extra = {}) {
    HttpHeaders headers = std::move(extra);
    if (!token.empty()) {
      headers.emplace_back(std::string(kAgentTokenHeader), std::string(token));
    }
    HttpClient client("127.0.0.1", server_->Port());
    auto res = client.Get(path, headers);
    if (res && res->status != 200) {
      EXPECT_THAT(res->body, ::testing::Not(::testing::HasSubstr(kPlantedOld)));
      EXPECT_THAT(res->body, ::testing::Not(::testing::HasSubstr("planted-new")));
      EXPECT_THAT(res->body, ::testing::Not(::testing::HasSubstr(kAgentTestToken)));
    }
    return res;
  }

  static nlohmann::json ErrorBody(const std::optional<HttpResponse>& res) {
    nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << res->body;
    EXPECT_TRUE(body.contains("__type")) << res->body;
    EXPECT_TRUE(body.contains("message")) << res->body;
    return body;
  }

  LogCapture logs_;
  FakeClock clock_;
  FakeRandom random_;
  InMemoryProvider* provider_ = nullptr;
  int setup_calls_ = 0;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<SecretsManager> manager_;
  AgentServerPtr server_;
};

}  // namespace locksmith::testing
