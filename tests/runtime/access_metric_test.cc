// secrets_manager_access_total{secret, result}: every Get/GetVersion counted per logical name,
// hits (counted by the cache per thread) and back-end answers alike; failures; malformed names
// and the series bound; counts surviving a manager that goes away; other Metrics implementations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "runtime/access_counts.h"
#include "runtime/runtime_test_util.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;

std::string AccessLine(const std::string& secret, const std::string& result, int count) {
  return "secrets_manager_access_total{secret=\"" + secret + "\",result=\"" + result + "\"} " +
         std::to_string(count) + "\n";
}

TEST_F(ManagerTest, AccessIsCountedPerSecretForHitsMissesAndFailures) {
  Make();
  EXPECT_CALL(*provider_, Get("db-encryption-key", _)).WillRepeatedly(ReturnSecret("v", "v1"));
  EXPECT_CALL(*provider_, Get("missing", _)).WillRepeatedly(ReturnError(ErrorCode::kNotFound));
  for (int i = 0; i < 3; ++i) {  // one miss, two hits
    ASSERT_THAT(manager_->Get("db-encryption-key"), IsOk());
  }
  ASSERT_THAT(manager_->GetVersion("db-encryption-key", VersionSelector::Current()), IsOk());
  ASSERT_THAT(manager_->GetVersion("db-encryption-key", VersionSelector::Current()), IsOk());
  EXPECT_THAT(manager_->Get("missing"), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(manager_->GetVersion("missing", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(manager_->Get("bad//name"), HasError(ErrorCode::kInvalidArgument));
  const std::string text = metrics_->RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE secrets_manager_access_total counter"));
  EXPECT_THAT(text, HasSubstr(AccessLine("db-encryption-key", "success", 5)));
  EXPECT_THAT(text, HasSubstr(AccessLine("db-encryption-key", "failure", 0)));
  EXPECT_THAT(text, HasSubstr(AccessLine("missing", "failure", 2)));
  // A malformed reference is never a label value of its own.
  EXPECT_THAT(text, HasSubstr(AccessLine("(invalid)", "failure", 1)));
  EXPECT_THAT(text, Not(HasSubstr("bad//name")));
}

TEST_F(ManagerTest, AccessCountsHitsOfEveryThreadAndFieldReferencesUnderTheName) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillRepeatedly(ReturnSecret(R"({"password":"p"})", "v1"));
  ASSERT_THAT(manager_->Get("database-password"), IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        (void)manager_->Get("database-password");
        (void)manager_->Get("database-password#password");
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(metrics_->RenderText(), HasSubstr(AccessLine("database-password", "success", 8001)));
}

TEST_F(ManagerTest, AccessCountsOfAManagerThatWentAwayStayInTheTotal) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillRepeatedly(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());  // a hit, counted by the cache
  EXPECT_THAT(metrics_->RenderText(), HasSubstr(AccessLine("jwt-secret", "success", 2)));
  manager_.reset();  // the metrics outlive it (shared by several managers, say)
  EXPECT_THAT(metrics_->RenderText(), HasSubstr(AccessLine("jwt-secret", "success", 2)));
  Make();  // a new manager (and mock) on the same metrics
  EXPECT_CALL(*provider_, Get(_, _)).WillRepeatedly(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());
  EXPECT_THAT(metrics_->RenderText(), HasSubstr(AccessLine("jwt-secret", "success", 4)));
}

// The agent reads through GetVersion: a read that finds the current version sets its age (an
// older version's read does not).
TEST_F(ManagerTest, GetVersionOfTheCurrentVersionSetsTheSecretAge) {
  Make();
  clock_.SetWallNow(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1));
  EXPECT_CALL(*provider_, Get(_, _))
      .WillRepeatedly([](std::string_view name, const VersionSelector& selector) -> Result<Secret> {
        const bool current = selector.stage == Stage::kCurrent;
        const auto created = current ? std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)
                                     : std::chrono::sys_days(std::chrono::year(2025) / 12 / 1);
        Secret secret = MakeSecret(std::string(name), "v", current ? "v2" : "v1", created);
        secret.version.stages = {current ? Stage::kCurrent : Stage::kPrevious};
        return secret;
      });
  ASSERT_THAT(manager_->GetVersion("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)),
              IsOk());
  EXPECT_THAT(metrics_->RenderText(), Not(HasSubstr("secrets_manager_secret_age_days{")));
  ASSERT_THAT(manager_->GetVersion("jwt-secret", VersionSelector::Current()), IsOk());
  EXPECT_THAT(metrics_->RenderText(),
              HasSubstr("secrets_manager_secret_age_days{secret=\"jwt-secret\"} 59"));
}

// Any other Metrics implementation is told of every access, hits included.
class CountingMetrics final : public Metrics {
 public:
  std::string RenderText() const override { return {}; }
  void RecordBackendCall(std::string_view, std::string_view, bool, double) override {}
  void RecordAccess(std::string_view secret, bool success) override {
    accesses.push_back(std::string(secret) + (success ? ":ok" : ":failed"));
  }
  void RecordCacheHit() override {}
  void RecordCacheMiss() override {}
  void RecordRefreshFailure(std::string_view) override {}
  void RecordStaleServed(std::string_view) override {}
  void SetBreakerState(std::string_view, int) override {}
  void SetSecretAgeDays(std::string_view, double) override {}
  void RecordDecryptionFailure(std::string_view) override {}
  void RecordReencryptedRows(std::string_view, std::string_view, std::uint64_t) override {}
  void RecordReencryptionFailures(std::string_view, std::string_view, std::string_view,
                                  std::uint64_t) override {}
  void SetReencryptionRowsRemaining(std::string_view, std::string_view, std::string_view,
                                    double) override {}
  std::vector<std::string> accesses;
};

TEST_F(ManagerTest, AnotherMetricsImplementationIsToldOfEveryAccess) {
  CountingMetrics counting;
  auto provider = std::make_unique<::testing::NiceMock<MockProvider>>();
  EXPECT_CALL(*provider, Get(_, _)).WillRepeatedly(ReturnSecret("v", "v1"));
  auto manager = SecretsManager::Create(
      std::move(provider),
      {.options = DefaultOptions(), .clock = &clock_, .random = &random_, .metrics = &counting});
  ASSERT_THAT(manager, IsOk());
  ASSERT_THAT((*manager)->Get("k"), IsOk());
  ASSERT_THAT((*manager)->Get("k#f"), Not(IsOk()));  // not JSON: a failure of k
  ASSERT_THAT((*manager)->Get("k"), IsOk());         // a hit
  EXPECT_THAT(counting.accesses, ::testing::ElementsAre("k:ok", "k:failed", "k:ok"));
}

TEST(AccessCountsTest, SeriesAreBoundedAndTheRestCountsUnderOther) {
  internal::AccessCounts counts;
  for (std::size_t i = 0; i < internal::kMaxAccessSeries + 5; ++i) {
    counts.Record("name-" + std::to_string(i), false);
  }
  counts.Record("name-0", true);  // an existing series still counts under its own name
  const prometheus::MetricFamily family = counts.Collect();
  EXPECT_EQ(family.metric.size(), 2 * (internal::kMaxAccessSeries + 1));
  int other_failures = -1;
  int first_successes = -1;
  for (const auto& metric : family.metric) {
    if (metric.label[0].value == "(other)" && metric.label[1].value == "failure") {
      other_failures = static_cast<int>(metric.counter.value);
    }
    if (metric.label[0].value == "name-0" && metric.label[1].value == "success") {
      first_successes = static_cast<int>(metric.counter.value);
    }
  }
  EXPECT_EQ(other_failures, 5);
  EXPECT_EQ(first_successes, 1);
}

}  // namespace
}  // namespace locksmith::testing
