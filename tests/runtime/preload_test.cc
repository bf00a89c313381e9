// SecretsManager::Preload over a MockProvider: one GetCurrentBatch for many references, entries
// cached as if read with Get, fields sharing one read, per-reference failures, retries, breaker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/runtime_test_util.h"
#include "support/log_capture.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kPlanted[] = "planted-preload-value-5e1d";

// A batch answering every name with "<name>-value" at version "v1", except names in `missing`.
auto BatchOf(std::vector<std::string> missing = {}) {
  return [missing](const std::vector<std::string>& names) -> Result<BatchResult> {
    BatchResult batch;
    for (const auto& name : names) {
      if (std::find(missing.begin(), missing.end(), name) != missing.end()) {
        batch.errors.emplace_back(name, Error{ErrorCode::kNotFound, "no such secret"});
      } else if (name == "database") {
        batch.secrets.push_back(MakeSecret(name, R"({"password":"pw","user":"app"})", "v1"));
      } else {
        batch.secrets.push_back(MakeSecret(name, name + "-value", "v1"));
      }
    }
    return batch;
  };
}

TEST_F(ManagerTest, PreloadIsOneBatchAndFillsTheCache) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(ElementsAre("a", "b", "database")))
      .WillOnce(Invoke(BatchOf()));
  EXPECT_CALL(*provider_, Get(_, _)).Times(0);
  auto result = manager_->Preload({"a", "b", "database#password", "database#user", "a"});
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->loaded, ElementsAre("a", "b", "database#password", "database#user"));
  EXPECT_TRUE(result->failed.empty());
  // Served from the cache: no Get reaches the provider.
  EXPECT_TRUE(manager_->Get("a")->Equals("a-value"));
  EXPECT_TRUE(manager_->Get("database#password")->Equals("pw"));
  EXPECT_TRUE(manager_->Get("database#user")->Equals("app"));
  EXPECT_EQ(manager_->Status().cached_entries, 4u);
  EXPECT_EQ(manager_->Status().cache_misses, 0u);
}

TEST_F(ManagerTest, PreloadedEntriesExpireAndRefreshLikeGets) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_)).WillOnce(Invoke(BatchOf()));
  ASSERT_THAT(manager_->Preload({"a"}), IsOk());
  EXPECT_CALL(*provider_, Get("a", VersionSelector::Current()))
      .WillOnce(ReturnSecret("a-value-2", "v2"));
  clock_.Advance(61s);
  internal::ImplOf(*manager_).RefreshDue();
  EXPECT_TRUE(manager_->Get("a")->Equals("a-value-2"));
}

TEST_F(ManagerTest, PreloadReportsPerReferenceFailures) {
  LogCapture logs;
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(ElementsAre("ok", "gone", "ok2")))
      .WillOnce(Invoke([](const std::vector<std::string>&) -> Result<BatchResult> {
        BatchResult batch;
        batch.secrets.push_back(MakeSecret("ok", kPlanted, "v1"));  // not JSON: no fields
        batch.secrets.push_back(MakeSecret("ok2", "x", "v1"));
        batch.errors.emplace_back("gone", Error{ErrorCode::kNotFound, "no such secret"});
        return batch;
      }));
  auto result = manager_->Preload({"ok", "bad name!", "gone", "ok#field", "ok2", "ok2#f"});
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->loaded, ElementsAre("ok", "ok2"));
  ASSERT_EQ(result->failed.size(), 4u);
  EXPECT_EQ(result->failed[0].first, "bad name!");
  EXPECT_EQ(result->failed[0].second.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result->failed[1].first, "gone");
  EXPECT_EQ(result->failed[1].second.code, ErrorCode::kNotFound);
  EXPECT_EQ(result->failed[2].first, "ok#field");
  EXPECT_EQ(result->failed[3].first, "ok2#f");
  std::string all = logs.Text();
  for (const auto& [ref, error] : result->failed) {
    all += error.ToString();
  }
  EXPECT_THAT(all, Not(HasSubstr(kPlanted)));
}

TEST_F(ManagerTest, PreloadOfAnAbsentSecretIsNotFound) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_))
      .WillOnce(Invoke([](const std::vector<std::string>&) -> Result<BatchResult> {
        return BatchResult{};  // the back end forgot to mention it
      }));
  auto result = manager_->Preload({"a"});
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->failed.size(), 1u);
  EXPECT_EQ(result->failed[0].second.code, ErrorCode::kNotFound);
}

TEST_F(ManagerTest, PreloadWithNothingValidMakesNoCall) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_)).Times(0);
  auto result = manager_->Preload({"bad name!"});
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->loaded.empty());
  EXPECT_EQ(result->failed.size(), 1u);
  EXPECT_THAT(manager_->Preload({}), IsOk());
}

TEST_F(ManagerTest, PreloadRetriesRetryableBatchFailures) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_))
      .WillOnce(Invoke([](const std::vector<std::string>&) -> Result<BatchResult> {
        return MakeError(ErrorCode::kThrottled, "slow down");
      }))
      .WillOnce(Invoke(BatchOf()));
  auto result = manager_->Preload({"a"});
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->loaded, ElementsAre("a"));
  EXPECT_EQ(clock_.Sleeps().size(), 1u);
}

TEST_F(ManagerTest, PreloadFailsAsAWholeAndOpensTheBreaker) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_))
      .Times(9)  // 3 preloads x 3 attempts; the fourth is refused by the breaker
      .WillRepeatedly(Invoke([](const std::vector<std::string>&) -> Result<BatchResult> {
        return MakeError(ErrorCode::kUnavailable, "down");
      }));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(manager_->Preload({"a"}), HasError(ErrorCode::kUnavailable));
  }
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);
  EXPECT_THAT(manager_->Preload({"a"}), HasErrorMessage(ErrorCode::kUnavailable, "breaker"));
}

TEST_F(ManagerTest, PreloadPermissionDeniedIsNotRetried) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_))
      .WillOnce(Invoke([](const std::vector<std::string>&) -> Result<BatchResult> {
        return MakeError(ErrorCode::kPermissionDenied, "no");
      }));
  EXPECT_THAT(manager_->Preload({"a"}), HasError(ErrorCode::kPermissionDenied));
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
}

TEST_F(ManagerTest, PreloadThroughTheDefaultBatchReadsOneByOne) {
  Make();  // MockProvider's GetCurrentBatch defaults to Provider's: one Get per name
  EXPECT_CALL(*provider_, Get("a", VersionSelector::Current())).WillOnce(ReturnSecret("1", "v1"));
  EXPECT_CALL(*provider_, Get("b", VersionSelector::Current()))
      .WillOnce(ReturnError(ErrorCode::kNotFound));
  auto result = manager_->Preload({"a", "b"});
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->loaded, ElementsAre("a"));
  ASSERT_EQ(result->failed.size(), 1u);
  EXPECT_EQ(result->failed[0].second.code, ErrorCode::kNotFound);
}

TEST_F(ManagerTest, PreloadNotifiesSubscribersOfANewVersion) {
  Make();
  EXPECT_CALL(*provider_, Get("a", _)).WillOnce(ReturnSecret("old", "v0"));
  std::vector<std::string> seen;
  auto handle = manager_->Subscribe(
      "a", [&](const SecretUpdate& update) { seen.push_back(update.version.version_id); });
  EXPECT_CALL(*provider_, GetCurrentBatch(_)).WillRepeatedly(Invoke(BatchOf()));
  ASSERT_THAT(manager_->Preload({"a"}), IsOk());
  ASSERT_THAT(manager_->Preload({"a"}), IsOk());  // same version: no second call
  EXPECT_THAT(seen, ElementsAre("v1"));
}

TEST_F(ManagerTest, PreloadCountsBatchCallsInMetrics) {
  Make();
  EXPECT_CALL(*provider_, GetCurrentBatch(_)).WillOnce(Invoke(BatchOf()));
  ASSERT_THAT(manager_->Preload({"a"}), IsOk());
  EXPECT_THAT(metrics_->RenderText(), HasSubstr("batch_get"));
}

}  // namespace
}  // namespace locksmith::testing
