// Concurrent misses of one key make one back-end call.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "runtime/runtime_test_util.h"
#include "runtime/secrets_manager_impl.h"

namespace locksmith::testing {
namespace {

using ::testing::_;

TEST_F(ManagerTest, HundredConcurrentMissesMakeOneProviderCall) {
  Make();
  auto& impl = dynamic_cast<internal::SecretsManagerImpl&>(*manager_);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::atomic<int> calls{0};
  EXPECT_CALL(*provider_, Get(_, _))
      .WillRepeatedly([&](std::string_view name, const VersionSelector&) -> Result<Secret> {
        if (calls.fetch_add(1) == 0) {
          entered.set_value();
        }
        released.wait();
        return MakeSecret(std::string(name), "test-key-123", "v1");
      });

  constexpr int kThreads = 100;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto value = manager_->Get("db-encryption-key");
      if (value.ok() && value->Equals("test-key-123")) {
        ok.fetch_add(1);
      }
    });
  }
  entered.get_future().wait();
  // Every other thread must be parked on the leader's flight before it is released.
  while (impl.SingleFlightWaitersForTest() < kThreads - 1) {
    std::this_thread::yield();
  }
  release.set_value();
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(impl.SingleFlightWaitersForTest(), 0u);
}

TEST_F(ManagerTest, WaitersShareTheLeadersError) {
  Make();
  auto& impl = dynamic_cast<internal::SecretsManagerImpl&>(*manager_);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  EXPECT_CALL(*provider_, Get(_, _))
      .Times(1)
      .WillOnce([&](std::string_view, const VersionSelector&) -> Result<Secret> {
        entered.set_value();
        released.wait();
        return MakeError(ErrorCode::kNotFound, "no such secret");
      });
  std::thread leader([&] { EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kNotFound)); });
  entered.get_future().wait();
  std::thread waiter([&] { EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kNotFound)); });
  while (impl.SingleFlightWaitersForTest() < 1) {
    std::this_thread::yield();
  }
  release.set_value();
  leader.join();
  waiter.join();
}

}  // namespace
}  // namespace locksmith::testing
