// Subscriptions: callbacks fire once per version change, never for an unchanged refresh, stop
// when the handle is destroyed, and may destroy their own handle.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "runtime/runtime_test_util.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::ElementsAre;

TEST_F(ManagerTest, SubscriptionFiresOncePerVersionChange) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))   // subscribe: starts tracking, no callback
      .WillOnce(ReturnSecret("one", "v1"))   // unchanged refresh: no callback
      .WillOnce(ReturnSecret("two", "v2"))   // changed: callback
      .WillOnce(ReturnSecret("two", "v2"));  // unchanged again
  std::vector<std::string> versions;
  std::vector<bool> values_ok;
  auto handle = manager_->Subscribe("k", [&](const SecretUpdate& update) {
    EXPECT_EQ(update.ref, "k");
    versions.push_back(update.version.version_id);
    values_ok.push_back(update.value.Equals("two"));
  });
  EXPECT_EQ(manager_->Status().cached_entries, 1u);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(50s);  // past refresh-ahead: RefreshDue refreshes with no Get at all
    internal::ImplOf(*manager_).RefreshDue();
  }
  EXPECT_THAT(versions, ElementsAre("v2"));
  EXPECT_THAT(values_ok, ElementsAre(true));
}

TEST_F(ManagerTest, SyncFetchAndRefreshAlsoNotify) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"))
      .WillOnce(ReturnSecret("three", "v3"));
  int calls = 0;
  auto handle = manager_->Subscribe("k", [&](const SecretUpdate&) { ++calls; });
  clock_.Advance(61s);
  ASSERT_THAT(manager_->Get("k"), IsOk());  // expired: synchronous fetch sees v2
  EXPECT_EQ(calls, 1);
  ASSERT_THAT(manager_->Refresh("k"), IsOk());  // v3
  EXPECT_EQ(calls, 2);
}

TEST_F(ManagerTest, DestroyedHandleUnsubscribes) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"));
  int calls = 0;
  auto handle = manager_->Subscribe("k", [&](const SecretUpdate&) { ++calls; });
  handle.reset();
  ASSERT_THAT(manager_->Refresh("k"), IsOk());
  EXPECT_EQ(calls, 0);
}

TEST_F(ManagerTest, CallbackMayDestroyItsOwnHandleAndCallBack) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"))
      .WillOnce(ReturnSecret("three", "v3"));
  SubscriptionPtr handle;
  int calls = 0;
  handle = manager_->Subscribe("k", [&](const SecretUpdate&) {
    ++calls;
    EXPECT_TRUE(manager_->Get("k")->Equals("two"));  // already in the cache, no deadlock
    handle.reset();                                  // no deadlock either
  });
  ASSERT_THAT(manager_->Refresh("k"), IsOk());
  ASSERT_THAT(manager_->Refresh("k"), IsOk());
  EXPECT_EQ(calls, 1);
}

TEST_F(ManagerTest, HandleDestructionWaitsForCallbackOnAnotherThread) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"));
  std::promise<void> in_callback;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> callback_done{false};
  auto handle = manager_->Subscribe("k", [&](const SecretUpdate&) {
    in_callback.set_value();
    released.wait();
    callback_done = true;
  });
  std::thread refresher([&] { (void)manager_->Refresh("k"); });
  in_callback.get_future().wait();
  std::thread destroyer([&] {
    handle.reset();
    EXPECT_TRUE(callback_done.load());  // returned only after the callback finished
  });
  release.set_value();
  destroyer.join();
  refresher.join();
}

TEST_F(ManagerTest, SubscribeTracksReferenceWhoseFirstFetchFailed) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnError(ErrorCode::kNotFound))
      .WillOnce(ReturnSecret("one", "v1"));
  auto handle = manager_->Subscribe("k", [](const SecretUpdate&) {});
  EXPECT_EQ(manager_->Status().cached_entries, 0u);
  internal::ImplOf(*manager_).RefreshDue();
  EXPECT_EQ(manager_->Status().cached_entries, 1u);
}

TEST_F(ManagerTest, InvalidReferenceGivesInertSubscription) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).Times(0);
  auto handle = manager_->Subscribe("not valid", [](const SecretUpdate&) {});
  ASSERT_NE(handle, nullptr);
  internal::ImplOf(*manager_).RefreshDue();
}

TEST_F(ManagerTest, ThrowingCallbackIsContained) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"));
  auto handle =
      manager_->Subscribe("k", [](const SecretUpdate&) { throw std::runtime_error("x"); });
  EXPECT_THAT(manager_->Refresh("k"), IsOk());
}

}  // namespace
}  // namespace locksmith::testing
