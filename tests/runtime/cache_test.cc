// SecretsManager caching: hits, TTL expiry and jitter, refresh-ahead, field references,
// GetVersion, Refresh, Status and option validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/runtime_test_util.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::Eq;

TEST_F(ManagerTest, MissFetchesThenHitsServeFromCache) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("db-encryption-key"), _))
      .Times(1)
      .WillOnce(ReturnSecret("test-key-123", "v1"));
  for (int i = 0; i < 5; ++i) {
    auto value = manager_->Get("db-encryption-key");
    ASSERT_THAT(value, IsOk());
    EXPECT_TRUE(value->Equals("test-key-123"));
  }
  auto status = manager_->Status();
  EXPECT_EQ(status.backend, "mock");
  EXPECT_EQ(status.breaker, BreakerState::kClosed);
  EXPECT_EQ(status.cached_entries, 1u);
  EXPECT_EQ(status.cache_hits, 4u);
  EXPECT_EQ(status.cache_misses, 1u);
}

TEST_F(ManagerTest, ExpiredEntryIsFetchedAgainSynchronously) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("db-encryption-key"), _))
      .WillOnce(ReturnSecret("test-key-123", "v1"))
      .WillOnce(ReturnSecret("test-key-456", "v2"));
  ASSERT_THAT(manager_->Get("db-encryption-key"), IsOk());
  clock_.Advance(60s);  // fraction 0: TTL is exactly 60 s
  auto value = manager_->Get("db-encryption-key");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("test-key-456"));
  EXPECT_EQ(manager_->Status().cache_misses, 2u);
}

TEST_F(ManagerTest, JitterFractionZeroGivesFullTtl) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).Times(1).WillOnce(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(60s - 1ms);
  ASSERT_THAT(manager_->Get("k"), IsOk());  // still fresh: no second call
  EXPECT_EQ(manager_->Status().cache_misses, 1u);
}

TEST_F(ManagerTest, JitterFractionOneGivesShortestTtl) {
  random_.SetUniformFraction(1.0);
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("v", "v1"))
      .WillOnce(ReturnSecret("v", "v1"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(54s - 1ms);  // ttl * (1 - 0.1)
  ASSERT_THAT(manager_->Get("k"), IsOk());
  EXPECT_EQ(manager_->Status().cache_misses, 1u);
  clock_.Advance(1ms);
  ASSERT_THAT(manager_->Get("k"), IsOk());
  EXPECT_EQ(manager_->Status().cache_misses, 2u);
}

TEST_F(ManagerTest, RefreshAheadServesCachedValueAndRefreshesOnceInBackground) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillOnce(ReturnSecret("old", "v1"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  ::testing::Mock::VerifyAndClearExpectations(provider_);

  clock_.Advance(48s);  // 0.8 of 60 s
  EXPECT_CALL(*provider_, Get(_, _)).Times(0);
  for (int i = 0; i < 3; ++i) {
    auto value = manager_->Get("k");
    ASSERT_THAT(value, IsOk());
    EXPECT_TRUE(value->Equals("old"));
  }
  ::testing::Mock::VerifyAndClearExpectations(provider_);

  EXPECT_CALL(*provider_, Get(_, _)).Times(1).WillOnce(ReturnSecret("new", "v2"));
  internal::ImplOf(*manager_).RunBackgroundWorkForTest();
  internal::ImplOf(*manager_).RunBackgroundWorkForTest();  // nothing left
  auto value = manager_->Get("k");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("new"));
}

TEST_F(ManagerTest, FailedRefreshAheadKeepsValueAndCanBeRetried) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("old", "v1"))
      .WillOnce(ReturnError(ErrorCode::kPermissionDenied))
      .WillOnce(ReturnSecret("new", "v2"));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  clock_.Advance(50s);
  ASSERT_THAT(manager_->Get("k"), IsOk());
  internal::ImplOf(*manager_).RunBackgroundWorkForTest();  // fails
  auto value = manager_->Get("k");  // still the old value, and claims a new refresh
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("old"));
  internal::ImplOf(*manager_).RunBackgroundWorkForTest();
  value = manager_->Get("k");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("new"));
  EXPECT_THAT(metrics_->RenderText(),
              ::testing::HasSubstr("secrets_manager_refresh_failures_total{secret=\"k\"} 1"));
}

TEST_F(ManagerTest, RefreshDueRefreshesOnlyDueEntries) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("a"), _))
      .WillOnce(ReturnSecret("a1", "v1"))
      .WillOnce(ReturnSecret("a2", "v2"));
  EXPECT_CALL(*provider_, Get(Eq("b"), _)).WillOnce(ReturnSecret("b1", "v1"));
  ASSERT_THAT(manager_->Get("a"), IsOk());
  clock_.Advance(20s);
  ASSERT_THAT(manager_->Get("b"), IsOk());
  clock_.Advance(30s);  // a is 50 s old (due), b 30 s (not due)
  internal::ImplOf(*manager_).RefreshDue();
  internal::ImplOf(*manager_).RefreshDue();  // a was just refreshed: not due again
  auto a = manager_->Get("a");
  ASSERT_THAT(a, IsOk());
  EXPECT_TRUE(a->Equals("a2"));
}

TEST_F(ManagerTest, FieldReferencesExtractJsonFields) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("database"), _))
      .Times(2)
      .WillRepeatedly(ReturnSecret(R"({"username":"app","password":"pw-planted-1"})", "v1"));
  auto password = manager_->Get("database#password");
  ASSERT_THAT(password, IsOk());
  EXPECT_TRUE(password->Equals("pw-planted-1"));
  auto username = manager_->Get("database#username");
  ASSERT_THAT(username, IsOk());
  EXPECT_TRUE(username->Equals("app"));
  EXPECT_THAT(manager_->Get("database#password"), IsOk());  // cached per reference
  EXPECT_EQ(manager_->Status().cached_entries, 2u);
}

TEST_F(ManagerTest, MissingFieldIsAnErrorWithoutTheValue) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("database"), _))
      .WillOnce(ReturnSecret(R"({"password":"pw-planted-2"})", "v1"));
  auto r = manager_->Get("database#port");
  ASSERT_THAT(r, HasError(ErrorCode::kNotFound));
  EXPECT_EQ(r.error().message.find("pw-planted-2"), std::string::npos);
  EXPECT_EQ(manager_->Status().cached_entries, 0u);
}

TEST_F(ManagerTest, InvalidReferenceIsRejectedWithoutCallingTheProvider) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).Times(0);
  EXPECT_THAT(manager_->Get("bad name"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(manager_->Get("db#"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(manager_->Refresh("/x"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(manager_->GetVersion("a//b", VersionSelector::Current()),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(ManagerTest, NotFoundIsReturnedAndNotCached) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).Times(2).WillRepeatedly(ReturnError(ErrorCode::kNotFound));
  EXPECT_THAT(manager_->Get("missing"), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(manager_->Get("missing"), HasError(ErrorCode::kNotFound));
}

TEST_F(ManagerTest, GetVersionIsCachedPerSelector) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("k"), VersionSelector::AtStage(Stage::kPrevious)))
      .Times(1)
      .WillOnce(ReturnSecret("prev", "v1"));
  EXPECT_CALL(*provider_, Get(Eq("k"), VersionSelector::ById("v2")))
      .Times(1)
      .WillOnce(ReturnSecret("cur", "v2"));
  for (int i = 0; i < 2; ++i) {
    auto prev = manager_->GetVersion("k", VersionSelector::AtStage(Stage::kPrevious));
    ASSERT_THAT(prev, IsOk());
    EXPECT_EQ(prev->version.version_id, "v1");
    EXPECT_EQ(prev->name, "k");
    EXPECT_TRUE(prev->value.Equals("prev"));
    auto by_id = manager_->GetVersion("k", VersionSelector::ById("v2"));
    ASSERT_THAT(by_id, IsOk());
    EXPECT_TRUE(by_id->value.Equals("cur"));
  }
}

TEST_F(ManagerTest, RefreshFetchesNowEvenWhenFresh) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"))
      .WillOnce(ReturnError(ErrorCode::kPermissionDenied));
  ASSERT_THAT(manager_->Get("k"), IsOk());
  auto refreshed = manager_->Refresh("k");
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_TRUE(refreshed->Equals("two"));
  EXPECT_TRUE(manager_->Get("k")->Equals("two"));
  EXPECT_THAT(manager_->Refresh("k"), HasError(ErrorCode::kPermissionDenied));
}

TEST_F(ManagerTest, TryGetCachedVersionNeverCallsTheBackEnd) {
  Make();
  const VersionSelector previous = VersionSelector::AtStage(Stage::kPrevious);
  EXPECT_CALL(*provider_, Get(Eq("k"), previous)).Times(1).WillOnce(ReturnSecret("prev", "v1"));
  EXPECT_FALSE(manager_->TryGetCachedVersion("k", previous).has_value());
  ASSERT_THAT(manager_->GetVersion("k", previous), IsOk());
  auto cached = manager_->TryGetCachedVersion("k", previous);
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->version.version_id, "v1");
  EXPECT_TRUE(cached->value.Equals("prev"));
  // Another selector is another entry; an expired entry is not served.
  EXPECT_FALSE(manager_->TryGetCachedVersion("k", VersionSelector::Current()).has_value());
  clock_.Advance(61s);
  EXPECT_FALSE(manager_->TryGetCachedVersion("k", previous).has_value());
}

TEST_F(ManagerTest, RefreshVersionFetchesNowAndCachesTheAnswer) {
  SecretsManagerOptions options = DefaultOptions();
  options.retry.max_attempts = 1;
  Make(options);
  const VersionSelector current = VersionSelector::Current();
  EXPECT_CALL(*provider_, Get(Eq("k"), current))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillOnce(ReturnSecret("two", "v2"))
      .WillOnce(ReturnError(ErrorCode::kUnavailable));
  ASSERT_THAT(manager_->GetVersion("k", current), IsOk());
  auto refreshed = manager_->RefreshVersion("k", current);
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_TRUE(refreshed->value.Equals("two"));
  // The cache now holds the refreshed answer (no further back-end call).
  EXPECT_TRUE(manager_->GetVersion("k", current)->value.Equals("two"));
  // A failed refresh is an error, not the cached value.
  EXPECT_THAT(manager_->RefreshVersion("k", current), HasError(ErrorCode::kUnavailable));
}

TEST_F(ManagerTest, ProviderExceptionBecomesInternalError) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce([](std::string_view, const VersionSelector&) -> Result<Secret> {
        throw std::runtime_error("boom");
      });
  EXPECT_THAT(manager_->Get("k"), HasError(ErrorCode::kInternal));
}

TEST(ManagerCreateTest, RejectsBadOptionsAndNullProvider) {
  FakeClock clock;
  FakeRandom random;
  auto make = [&](SecretsManagerOptions o) {
    return SecretsManager::Create(std::make_unique<::testing::NiceMock<MockProvider>>(),
                                  {.options = o, .clock = &clock, .random = &random});
  };
  EXPECT_THAT(SecretsManager::Create(nullptr, {.clock = &clock, .random = &random}),
              HasError(ErrorCode::kInvalidArgument));
  std::vector<std::function<void(SecretsManagerOptions&)>> breakers = {
      [](auto& o) { o.cache.ttl = 0ms; },
      [](auto& o) { o.cache.ttl_jitter = -0.1; },
      [](auto& o) { o.cache.ttl_jitter = 1.0; },
      [](auto& o) { o.cache.refresh_ahead = 0.0; },
      [](auto& o) { o.cache.refresh_ahead = 1.5; },
      [](auto& o) { o.cache.max_staleness = -1ms; },
      [](auto& o) { o.retry.max_attempts = 0; },
      [](auto& o) { o.retry.base_delay = -1ms; },
      [](auto& o) { o.breaker.failure_threshold = 0; },
      [](auto& o) { o.breaker.open_duration = -1ms; },
  };
  for (std::size_t i = 0; i < breakers.size(); ++i) {
    SecretsManagerOptions o;
    o.background_refresh = false;
    breakers[i](o);
    EXPECT_THAT(make(o), HasError(ErrorCode::kInvalidArgument)) << i;
  }
  SecretsManagerOptions ok;
  ok.background_refresh = false;
  EXPECT_THAT(make(ok), IsOk());
}

TEST(BreakerStateNameTest, Names) {
  EXPECT_EQ(BreakerStateName(BreakerState::kClosed), "closed");
  EXPECT_EQ(BreakerStateName(BreakerState::kOpen), "open");
  EXPECT_EQ(BreakerStateName(BreakerState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace locksmith::testing
