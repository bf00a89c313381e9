// A bounded load test of the agent on loopback: 8 client threads x 2,000 keep-alive requests,
// every answer 200 with the right body. Not a performance assertion: every request has a
// timeout and a client thread stops at its first failure, so the test ends by itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_test_fixture.h"
#include "support/http_client.h"

namespace locksmith {
namespace {

using AgentLoadTest = testing::AgentTest;

TEST_F(AgentLoadTest, ManyClientsManyRequestsAllAnsweredCorrectly) {
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 2000;
  auto expected = Get("/secretsmanager/get?secretId=database-password");
  ASSERT_TRUE(expected);
  ASSERT_EQ(expected->status, 200);
  const std::string body = expected->body;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      testing::HttpClient client("127.0.0.1", server_->Port());
      client.set_timeout(std::chrono::seconds(10));
      const testing::HttpHeaders token = TokenHeader();
      for (int i = 0; i < kRequestsEach; ++i) {
        // Mostly secrets, with /ping and the /v1 form mixed in.
        const bool ping = (i + c) % 10 == 0;
        auto res = client.Get(ping           ? "/ping"
                              : (i % 2 == 0) ? "/secretsmanager/get?secretId=database-password"
                                             : "/v1/database-password",
                              token);
        if (!res || res->status != 200 || res->body != (ping ? "healthy" : body)) {
          ++failed;
          return;
        }
        ++ok;
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kClients * kRequestsEach);
}

}  // namespace
}  // namespace locksmith
