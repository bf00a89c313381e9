// The real background thread: refresh-ahead work queued by a Get runs on it promptly, and the
// manager stops it on destruction. Waits on futures, never on time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "runtime/runtime_test_util.h"

namespace locksmith::testing {
namespace {

using ::testing::_;

TEST_F(ManagerTest, BackgroundThreadRunsRefreshAhead) {
  auto options = DefaultOptions();
  options.background_refresh = true;
  Make(options);
  std::promise<void> refreshed;
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("old", "v1"))
      .WillOnce([&](std::string_view name, const VersionSelector&) -> Result<Secret> {
        refreshed.set_value();
        return MakeSecret(std::string(name), "new", "v2");
      })
      .WillRepeatedly(ReturnSecret("new", "v2"));
  std::promise<void> notified;
  auto handle = manager_->Subscribe("k", [&](const SecretUpdate&) { notified.set_value(); });
  clock_.Advance(50s);
  auto value = manager_->Get("k");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("old"));
  refreshed.get_future().wait();
  notified.get_future().wait();  // the store happened before the callback
  EXPECT_TRUE(manager_->Get("k")->Equals("new"));
  handle.reset();
  manager_.reset();  // joins the thread
}

}  // namespace
}  // namespace locksmith::testing
