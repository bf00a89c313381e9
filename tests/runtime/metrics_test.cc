// Prometheus metrics, and that a planted secret value never reaches logs, errors or metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/runtime_test_util.h"
#include "support/log_capture.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::HasSubstr;

TEST(MetricsTest, RendersEveryFamily) {
  auto metrics = Metrics::Create();
  metrics->RecordBackendCall("vault", "get", true, 0.02);
  metrics->RecordBackendCall("vault", "get", false, 3.0);
  metrics->RecordCacheHit();
  metrics->RecordCacheHit();
  metrics->RecordCacheMiss();
  metrics->RecordRefreshFailure("jwt-secret");
  metrics->RecordStaleServed("jwt-secret");
  metrics->SetBreakerState("vault", 2);
  metrics->SetSecretAgeDays("jwt-secret", 12.5);
  metrics->RecordDecryptionFailure("key-1");
  const std::string text = metrics->RenderText();
  for (const char* expected : {
           "secrets_manager_backend_requests_total{backend=\"vault\",operation=\"get\","
           "result=\"success\"} 1",
           "secrets_manager_backend_requests_total{backend=\"vault\",operation=\"get\","
           "result=\"failure\"} 1",
           "secrets_manager_cache_hits_total 2",
           "secrets_manager_cache_misses_total 1",
           "secrets_manager_refresh_failures_total{secret=\"jwt-secret\"} 1",
           "secrets_manager_stale_served_total{secret=\"jwt-secret\"} 1",
           "secrets_manager_circuit_breaker_state{backend=\"vault\"} 2",
           "secrets_manager_secret_age_days{secret=\"jwt-secret\"} 12.5",
           "secrets_manager_decryption_failures_total{key=\"key-1\"} 1",
           "secrets_manager_backend_latency_seconds_bucket{backend=\"vault\",operation=\"get\","
           "le=\"0.025\"} 1",
           "secrets_manager_backend_latency_seconds_bucket{backend=\"vault\",operation=\"get\","
           "le=\"5\"} 2",
           "secrets_manager_backend_latency_seconds_count{backend=\"vault\",operation=\"get\"} 2",
           "# TYPE secrets_manager_cache_hits_total counter",
       }) {
    EXPECT_THAT(text, HasSubstr(expected));
  }
}

TEST(MetricsTest, HitCountersSumAcrossThreads) {
  auto metrics = Metrics::Create();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        metrics->RecordCacheHit();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_THAT(metrics->RenderText(), HasSubstr("secrets_manager_cache_hits_total 4000"));
}

TEST_F(ManagerTest, ManagerRecordsCallsHitsMissesAndAge) {
  Make();
  clock_.SetWallNow(std::chrono::sys_days(std::chrono::year(2026) / 1 / 11));
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce([](std::string_view name, const VersionSelector&) -> Result<Secret> {
        return MakeSecret(std::string(name), "v", "v1",
                          std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));
      })
      .WillOnce(ReturnError(ErrorCode::kNotFound));
  ASSERT_THAT(manager_->Get("db-encryption-key"), IsOk());
  ASSERT_THAT(manager_->Get("db-encryption-key"), IsOk());
  EXPECT_THAT(manager_->Get("other"), HasError(ErrorCode::kNotFound));
  const std::string text = metrics_->RenderText();
  EXPECT_THAT(text, HasSubstr("secrets_manager_cache_hits_total 1"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_cache_misses_total 2"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_secret_age_days{secret=\"db-encryption-key\"} 10"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_backend_requests_total{backend=\"mock\","
                              "operation=\"get\",result=\"success\"} 1"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_backend_requests_total{backend=\"mock\","
                              "operation=\"get\",result=\"failure\"} 1"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_backend_latency_seconds_count{backend=\"mock\","
                              "operation=\"get\"} 2"));
}

TEST_F(ManagerTest, LatencyIsMeasuredWithTheInjectedClock) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce([this](std::string_view name, const VersionSelector&) -> Result<Secret> {
        clock_.Advance(std::chrono::milliseconds(300));
        return MakeSecret(std::string(name), "v", "v1");
      });
  ASSERT_THAT(manager_->Get("k"), IsOk());
  const std::string text = metrics_->RenderText();
  EXPECT_THAT(text, HasSubstr("secrets_manager_backend_latency_seconds_sum{backend=\"mock\","
                              "operation=\"get\"} 0.3"));
  EXPECT_THAT(text, HasSubstr("secrets_manager_backend_latency_seconds_bucket{backend=\"mock\","
                              "operation=\"get\",le=\"0.25\"} 0"));
}

// Drives every path that logs, errs or counts with a planted value in play, then searches
// logs, errors and metrics for it.
TEST_F(ManagerTest, PlantedValueNeverLeaks) {
  constexpr const char* kPlanted = "planted-Zq9-secret-value";
  LogCapture logs;
  auto options = DefaultOptions();
  options.retry.max_attempts = 2;
  Make(options);
  std::vector<std::string> errors;
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret(kPlanted, "v1"))
      .WillOnce(ReturnSecret(std::string(R"({"password":")") + kPlanted + "\"}", "v1"))
      .WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  auto handle = manager_->Subscribe("k", [](const SecretUpdate&) {});
  auto field = manager_->Get("doc#missing");
  ASSERT_FALSE(field.ok());
  errors.push_back(field.error().ToString());
  clock_.Advance(50s);
  ASSERT_THAT(manager_->Get("k"), IsOk());                 // refresh-ahead claimed
  internal::ImplOf(*manager_).RunBackgroundWorkForTest();  // refresh fails: warning
  clock_.Advance(20s);
  for (int i = 0; i < 4; ++i) {
    auto r = manager_->Get("k");  // stale serves, breaker opens
    ASSERT_THAT(r, IsOk());
  }
  clock_.Advance(20min);
  auto refused = manager_->Get("k");
  ASSERT_FALSE(refused.ok());
  errors.push_back(refused.error().ToString());
  const std::string log_text = logs.Text();
  EXPECT_THAT(log_text, HasSubstr("refresh of 'k' failed"));
  EXPECT_THAT(log_text, HasSubstr("serving a cached value of 'k'"));
  EXPECT_EQ(log_text.find(kPlanted), std::string::npos);
  for (const auto& e : errors) {
    EXPECT_EQ(e.find(kPlanted), std::string::npos) << e;
  }
  EXPECT_EQ(metrics_->RenderText().find(kPlanted), std::string::npos);
}

}  // namespace
}  // namespace locksmith::testing
