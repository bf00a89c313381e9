// Retries with full-jitter backoff, the circuit breaker and serving stale values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/backoff.h"
#include "runtime/circuit_breaker.h"
#include "runtime/runtime_test_util.h"
#include "support/log_capture.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Nanos = std::chrono::nanoseconds;

TEST(BackoffTest, FullJitterBounds) {
  RetryOptions options;  // base 100 ms, max 5 s
  FakeRandom random;
  random.SetUniformFraction(1.0);
  EXPECT_EQ(internal::BackoffDelay(options, 1, random), 100ms);
  EXPECT_EQ(internal::BackoffDelay(options, 2, random), 200ms);
  EXPECT_EQ(internal::BackoffDelay(options, 3, random), 400ms);
  EXPECT_EQ(internal::BackoffDelay(options, 7, random), 5s);   // 6.4 s capped
  EXPECT_EQ(internal::BackoffDelay(options, 60, random), 5s);  // no overflow
  random.SetUniformFraction(0.0);
  EXPECT_EQ(internal::BackoffDelay(options, 3, random), 0ms);
  random.SetUniformFraction(0.5);
  EXPECT_EQ(internal::BackoffDelay(options, 2, random), 100ms);
  options.base_delay = 0ms;
  EXPECT_EQ(internal::BackoffDelay(options, 2, random), 0ms);
}

TEST_F(ManagerTest, RetriesRetryableErrorsWithExactDelays) {
  random_.SetUniformFraction(0.5);
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnError(ErrorCode::kUnavailable))
      .WillOnce(ReturnError(ErrorCode::kThrottled))
      .WillOnce(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  // Uniform over [0, 100] and [0, 200] ms at fraction 0.5.
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(Nanos(50ms), Nanos(100ms)));
}

TEST_F(ManagerTest, GivesUpAfterMaxAttempts) {
  random_.SetUniformFraction(1.0);
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .Times(3)
      .WillRepeatedly(ReturnError(ErrorCode::kDeadlineExceeded));
  EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kDeadlineExceeded));
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(Nanos(100ms), Nanos(200ms)));
}

TEST_F(ManagerTest, NonRetryableErrorsAreNotRetried) {
  Make();
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kPermissionDenied,
                         ErrorCode::kInvalidArgument, ErrorCode::kUnauthenticated}) {
    EXPECT_CALL(*provider_, Get(_, _)).Times(1).WillOnce(ReturnError(code));
    EXPECT_THAT(manager_->Get("k"), HasError(code));
    ::testing::Mock::VerifyAndClearExpectations(provider_);
  }
  EXPECT_TRUE(clock_.Sleeps().empty());
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);  // not back-end failures
}

// Found by the fault matrix: a 429's Retry-After was ignored (the retry came after the backoff's
// 50 ms). The back end's wait is a floor on the delay; one longer than retry.max_delay ends the
// retries at once with the throttling error.
TEST_F(ManagerTest, RetryAfterIsAFloorOnTheBackoff) {
  random_.SetUniformFraction(0.5);
  Make();
  auto throttled = [](std::chrono::milliseconds after) {
    return [after](std::string_view, const VersionSelector&) -> Result<Secret> {
      Error error = MakeError(ErrorCode::kThrottled, "slow down");
      error.retry_after = after;
      return error;
    };
  };
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(throttled(2s))
      .WillOnce(throttled(10ms))  // shorter than the backoff's 100 ms: the backoff wins
      .WillOnce(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(Nanos(2s), Nanos(100ms)));
}

TEST_F(ManagerTest, RetryAfterLongerThanMaxDelayStopsRetrying) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillOnce([](std::string_view, const VersionSelector&) {
    Error error = MakeError(ErrorCode::kThrottled, "slow down");
    error.retry_after = 6s;  // retry.max_delay is 5 s
    return Result<Secret>(std::move(error));
  });
  EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kThrottled));
  EXPECT_TRUE(clock_.Sleeps().empty());
}

class BreakerTest : public ManagerTest {
 protected:
  void SetUp() override {
    auto options = DefaultOptions();
    options.retry.max_attempts = 1;  // one provider call per operation
    Make(options);
  }
  void FailOperations(int n) {
    for (int i = 0; i < n; ++i) {
      EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kUnavailable));
    }
  }
};

TEST_F(BreakerTest, OpensAfterThresholdAndFailsFast) {
  LogCapture logs;
  EXPECT_CALL(*provider_, Get(_, _)).Times(3).WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  FailOperations(2);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
  FailOperations(1);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);
  EXPECT_THAT(logs.Text(), HasSubstr("circuit breaker for back end 'mock' opened"));
  // Open: no provider call (Times(3) above).
  auto r = manager_->Get("k");
  EXPECT_THAT(r, HasErrorMessage(ErrorCode::kUnavailable,
                                 "back end unavailable (circuit breaker open) and no cached "
                                 "value within max staleness"));
  EXPECT_THAT(metrics_->RenderText(),
              HasSubstr("secrets_manager_circuit_breaker_state{backend=\"mock\"} 1"));
}

TEST_F(BreakerTest, SuccessResetsTheFailureCount) {
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnError(ErrorCode::kUnavailable))
      .WillOnce(ReturnError(ErrorCode::kUnavailable))
      .WillOnce(ReturnError(ErrorCode::kNotFound))  // the back end answered
      .WillOnce(ReturnError(ErrorCode::kUnavailable))
      .WillOnce(ReturnError(ErrorCode::kUnavailable));
  FailOperations(2);
  EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kNotFound));
  FailOperations(2);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
}

TEST_F(BreakerTest, HalfOpenProbeSuccessCloses) {
  EXPECT_CALL(*provider_, Get(_, _)).Times(3).WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  FailOperations(3);
  ::testing::Mock::VerifyAndClearExpectations(provider_);
  clock_.Advance(30s);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kHalfOpen);
  EXPECT_CALL(*provider_, Get(_, _)).Times(1).WillOnce(ReturnSecret("v", "v1"));
  EXPECT_THAT(manager_->Get("k"), IsOk());
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
  EXPECT_THAT(metrics_->RenderText(),
              HasSubstr("secrets_manager_circuit_breaker_state{backend=\"mock\"} 0"));
}

TEST_F(BreakerTest, HalfOpenProbeFailureReopens) {
  EXPECT_CALL(*provider_, Get(_, _)).Times(4).WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  FailOperations(3);
  clock_.Advance(30s);
  FailOperations(1);  // the probe
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);
  FailOperations(1);  // fails fast again (Times(4))
  clock_.Advance(29s);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);  // reopened at the probe
  clock_.Advance(1s);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kHalfOpen);
}

TEST(CircuitBreakerTest, ExactlyOneProbeWhileHalfOpen) {
  FakeClock clock;
  BreakerOptions options;
  options.failure_threshold = 1;
  options.open_duration = 10s;
  internal::CircuitBreaker breaker(options, clock);
  using Admission = internal::CircuitBreaker::Admission;
  auto first = breaker.Allow();
  ASSERT_EQ(first, Admission::kAllowed);
  EXPECT_TRUE(breaker.RecordFailure(first));
  EXPECT_EQ(breaker.Allow(), Admission::kRejected);
  clock.Advance(10s);
  auto probe = breaker.Allow();
  EXPECT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(breaker.Allow(), Admission::kRejected);  // a second caller while probing
  // A straggler admitted before the opening does not close it.
  breaker.RecordSuccess(Admission::kAllowed);
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.Allow(), Admission::kRejected);
  breaker.RecordSuccess(probe);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker.Allow(), Admission::kAllowed);
  EXPECT_EQ(breaker.openings(), 1u);
}

TEST_F(BreakerTest, ServesStaleWithinMaxStalenessWhileOpen) {
  LogCapture logs;
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("last-good", "v1"))
      .WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(60s);  // expired
  for (int i = 0; i < 3; ++i) {
    auto value = manager_->Get("k");  // fetch fails (closed), then fast-fails (open)
    ASSERT_THAT(value, IsOk());
    EXPECT_TRUE(value->Equals("last-good"));
  }
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(manager_->Get("k"), IsOk());
  }
  const std::string text = logs.Text();
  EXPECT_THAT(text, HasSubstr("serving a cached value of 'k'"));
  EXPECT_THAT(metrics_->RenderText(),
              HasSubstr("secrets_manager_stale_served_total{secret=\"k\"} 8"));
  // One warning while closed, one for the opening; not one per serve.
  std::size_t warnings = 0;
  for (auto pos = text.find("serving a cached value"); pos != std::string::npos;
       pos = text.find("serving a cached value", pos + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 2u);
  EXPECT_EQ(text.find("last-good"), std::string::npos);
}

TEST_F(BreakerTest, RefusesValuesOlderThanMaxStaleness) {
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("last-good", "v1"))
      .WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(10min);  // exactly max_staleness: still served
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(1ms);
  // Breaker closed, fetch failed: the provider's error.
  EXPECT_THAT(manager_->Get("k"), HasErrorMessage(ErrorCode::kUnavailable, "back end said no"));
  FailOperations(1);  // third failure opens it
  EXPECT_THAT(manager_->Get("k"),
              HasErrorMessage(ErrorCode::kUnavailable, "no cached value within max staleness"));
}

TEST_F(BreakerTest, NonBackendErrorOnExpiredEntryIsNotMaskedByStaleValue) {
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("v", "v1"))
      .WillOnce(ReturnError(ErrorCode::kPermissionDenied));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(61s);
  EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kPermissionDenied));
}

TEST_F(BreakerTest, RefreshWhileOpenFailsFast) {
  EXPECT_CALL(*provider_, Get(_, _)).Times(3).WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  FailOperations(3);
  EXPECT_THAT(manager_->Refresh("k"),
              HasErrorMessage(ErrorCode::kUnavailable, "circuit breaker open"));
}

}  // namespace
}  // namespace locksmith::testing
