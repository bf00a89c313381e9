// Writes and admin calls through the runtime: they share the breaker and the metrics with reads,
// reads are retried but writes only when throttled, and a write expires the cached entries of
// the name and re-reads subscribed ones, so subscribers hear of it before the call returns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/runtime_test_util.h"
#include "support/log_capture.h"

namespace locksmith::testing {
namespace {

using ::testing::_;
using ::testing::ByMove;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;

auto PutReturns(std::string version_id) {
  return [version_id](std::string_view, const SecretValue&, Stage stage) -> Result<VersionInfo> {
    return VersionInfo{version_id, {stage}, {}};
  };
}

auto PutFails(ErrorCode code) {
  return [code](std::string_view, const SecretValue&, Stage) -> Result<VersionInfo> {
    return MakeError(code, "back end said no");
  };
}

TEST_F(ManagerTest, PutExpiresTheCacheAndNotifiesSubscribersBeforeReturning) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("db"), _))
      .WillOnce(ReturnSecret("one", "v1"))   // subscribe
      .WillOnce(ReturnSecret("two", "v2"));  // re-read after the put
  std::vector<std::string> seen;
  auto handle = manager_->Subscribe(
      "db", [&](const SecretUpdate& u) { seen.push_back(u.version.version_id); });
  EXPECT_CALL(*provider_, Put(Eq("db"), _, Stage::kCurrent)).WillOnce(PutReturns("v2"));
  auto put = manager_->Put("db", SecretValue("two"));
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->version_id, "v2");
  EXPECT_THAT(seen, ElementsAre("v2"));
  // The cache holds the new value: no further back-end read.
  auto got = manager_->Get("db");
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->Equals("two"));
}

TEST_F(ManagerTest, PutExpiresUnsubscribedEntriesButNotPinnedVersions) {
  Make();
  EXPECT_CALL(*provider_, Get(Eq("db"), _))
      .WillOnce(ReturnSecret("one", "v1"))   // Get("db")
      .WillOnce(ReturnSecret("one", "v1"))   // GetVersion(ById v1)
      .WillOnce(ReturnSecret("two", "v2"));  // Get("db") after the put
  ASSERT_THAT(manager_->Get("db"), IsOk());
  ASSERT_THAT(manager_->GetVersion("db", VersionSelector::ById("v1")), IsOk());
  EXPECT_CALL(*provider_, Put(_, _, _)).WillOnce(PutReturns("v2"));
  ASSERT_THAT(manager_->Put("db", SecretValue("two")), IsOk());
  auto fresh = manager_->Get("db");
  ASSERT_THAT(fresh, IsOk());
  EXPECT_TRUE(fresh->Equals("two"));
  // A version id never changes its value: still served from the cache.
  auto pinned = manager_->GetVersion("db", VersionSelector::ById("v1"));
  ASSERT_THAT(pinned, IsOk());
  EXPECT_TRUE(pinned->value.Equals("one"));
}

TEST_F(ManagerTest, PendingPutLeavesTheCurrentValueCached) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillOnce(ReturnSecret("one", "v1"));
  ASSERT_THAT(manager_->Get("db"), IsOk());
  EXPECT_CALL(*provider_, Put(_, _, Stage::kPending)).WillOnce(PutReturns("v2"));
  ASSERT_THAT(manager_->Put("db", SecretValue("two"), Stage::kPending), IsOk());
  auto got = manager_->Get("db");  // no second Get expected
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->Equals("one"));
}

TEST_F(ManagerTest, WritesAreRetriedOnlyWhenThrottled) {
  Make();
  EXPECT_CALL(*provider_, Put(_, _, _))
      .WillOnce(PutFails(ErrorCode::kThrottled))
      .WillOnce(PutReturns("v2"));
  ASSERT_THAT(manager_->Put("db", SecretValue("two")), IsOk());
  EXPECT_EQ(clock_.Sleeps().size(), 1u);

  // A timeout may have stored the value: one try, the error to the caller.
  EXPECT_CALL(*provider_, Put(_, _, _)).WillOnce(PutFails(ErrorCode::kDeadlineExceeded));
  EXPECT_THAT(manager_->Put("db", SecretValue("three")), HasError(ErrorCode::kDeadlineExceeded));
  EXPECT_CALL(*provider_, PromoteToCurrent(_, _))
      .WillOnce(Return(ByMove(Result<void>(MakeError(ErrorCode::kUnavailable, "503")))));
  EXPECT_THAT(manager_->PromoteToCurrent("db", "v2"), HasError(ErrorCode::kUnavailable));
}

TEST_F(ManagerTest, ReadsAreRetriedLikeGet) {
  Make();
  EXPECT_CALL(*provider_, List(Eq("rpc/")))
      .WillOnce(Return(
          ByMove(Result<std::vector<std::string>>(MakeError(ErrorCode::kUnavailable, "503")))))
      .WillOnce(Return(ByMove(
          Result<std::vector<std::string>>(std::vector<std::string>{"rpc/alchemy-api-key"}))));
  auto names = manager_->List("rpc/");
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(*names, ElementsAre("rpc/alchemy-api-key"));
  EXPECT_CALL(*provider_, Describe(_))
      .Times(3)
      .WillRepeatedly([](std::string_view) -> Result<SecretDescription> {
        return MakeError(ErrorCode::kThrottled, "slow down");
      });
  EXPECT_THAT(manager_->Describe("db"), HasError(ErrorCode::kThrottled));
}

TEST_F(ManagerTest, OpenBreakerRefusesWritesAndAdminCalls) {
  Make();
  EXPECT_CALL(*provider_, Get(_, _)).WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  for (int i = 0; i < 3; ++i) {
    (void)manager_->Get("k" + std::to_string(i));
  }
  ASSERT_EQ(manager_->Status().breaker, BreakerState::kOpen);
  EXPECT_CALL(*provider_, Put(_, _, _)).Times(0);
  EXPECT_CALL(*provider_, List(_)).Times(0);
  EXPECT_THAT(manager_->Put("db", SecretValue("two")), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(manager_->List(""), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(manager_->BackendDetails(), HasError(ErrorCode::kUnavailable));
}

TEST_F(ManagerTest, AdminCallsAreCountedInTheBackendMetrics) {
  Make();
  EXPECT_CALL(*provider_, Put(_, _, _)).WillOnce(PutReturns("v1"));
  EXPECT_CALL(*provider_, List(_))
      .WillOnce(Return(ByMove(Result<std::vector<std::string>>(std::vector<std::string>{}))));
  ASSERT_THAT(manager_->Put("db", SecretValue("one")), IsOk());
  ASSERT_THAT(manager_->List(""), IsOk());
  const std::string text = manager_->metrics().RenderText();
  EXPECT_THAT(text, HasSubstr("operation=\"put\",result=\"success\"} 1"));
  EXPECT_THAT(text, HasSubstr("operation=\"list\",result=\"success\"} 1"));
}

TEST_F(ManagerTest, RotatePutsPendingThenPromotes) {
  Make();
  ::testing::InSequence order;
  EXPECT_CALL(*provider_, Put(Eq("jwt"), _, Stage::kPending))
      .WillOnce([](std::string_view, const SecretValue& value, Stage) -> Result<VersionInfo> {
        EXPECT_EQ(value.size(), 44u);  // 32 bytes, base64
        return VersionInfo{"v9", {Stage::kPending}, {}};
      });
  EXPECT_CALL(*provider_, PromoteToCurrent(Eq("jwt"), Eq("v9")))
      .WillOnce(Return(ByMove(Result<void>(OkResult()))));
  EXPECT_CALL(*provider_, Describe(Eq("jwt")))
      .WillOnce(Return(ByMove(Result<SecretDescription>(SecretDescription{
          "jwt", {{"v9", {Stage::kCurrent}, {}}, {"v8", {Stage::kPrevious}, {}}}, std::nullopt}))));
  auto rotated = manager_->Rotate("jwt");
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->version_id, "v9");
  EXPECT_THAT(rotated->stages, ElementsAre(Stage::kCurrent));
}

// Vault writes a promoted pending value ("pending-4") as a new version of the secret ("12"):
// Rotate reports the version now current, not the pending id (which no longer names anything);
// a Describe that fails after the promotion keeps the pending id and does not fail the rotation.
TEST_F(ManagerTest, RotateReportsTheVersionCurrentAfterThePromotion) {
  Make();
  EXPECT_CALL(*provider_, Put(Eq("jwt"), _, Stage::kPending))
      .WillRepeatedly([](std::string_view, const SecretValue&, Stage) -> Result<VersionInfo> {
        return VersionInfo{"pending-4", {Stage::kPending}, {}};
      });
  EXPECT_CALL(*provider_, PromoteToCurrent(Eq("jwt"), Eq("pending-4")))
      .WillRepeatedly([](std::string_view, std::string_view) { return Result<void>(OkResult()); });
  EXPECT_CALL(*provider_, Describe(Eq("jwt")))
      .WillOnce(Return(ByMove(Result<SecretDescription>(SecretDescription{
          "jwt", {{"12", {Stage::kCurrent}, {}}, {"11", {Stage::kPrevious}, {}}}, std::nullopt}))))
      .WillOnce(
          Return(ByMove(Result<SecretDescription>(MakeError(ErrorCode::kPermissionDenied, "no")))));
  auto rotated = manager_->Rotate("jwt");
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->version_id, "12");
  EXPECT_THAT(rotated->stages, ElementsAre(Stage::kCurrent));
  auto undescribed = manager_->Rotate("jwt");
  ASSERT_THAT(undescribed, IsOk());
  EXPECT_EQ(undescribed->version_id, "pending-4");
}

TEST_F(ManagerTest, RotateFallsBackToAPlainPutWithoutAPendingStage) {
  Make();
  EXPECT_CALL(*provider_, Put(_, _, Stage::kPending)).WillOnce(PutFails(ErrorCode::kUnimplemented));
  EXPECT_CALL(*provider_, Put(_, _, Stage::kCurrent)).WillOnce(PutReturns("v2"));
  EXPECT_CALL(*provider_, PromoteToCurrent(_, _)).Times(0);
  ASSERT_THAT(manager_->Rotate("jwt", 16), IsOk());
}

TEST_F(ManagerTest, WrittenValuesNeverReachLogsOrErrors) {
  constexpr std::string_view kPlanted = "planted-admin-value-Vx93";
  LogCapture logs;
  Make();
  // Subscribed, so the put re-reads; the re-read fails and is logged (name and code only).
  EXPECT_CALL(*provider_, Get(_, _))
      .WillOnce(ReturnSecret("one", "v1"))
      .WillRepeatedly(ReturnError(ErrorCode::kUnavailable));
  auto handle = manager_->Subscribe("db", [](const SecretUpdate&) {});
  EXPECT_CALL(*provider_, Put(_, _, _))
      .WillOnce(PutReturns("v2"))
      .WillOnce(PutFails(ErrorCode::kPermissionDenied));
  ASSERT_THAT(manager_->Put("db", SecretValue(kPlanted)), IsOk());
  auto denied = manager_->Put("db", SecretValue(kPlanted));
  ASSERT_THAT(denied, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(denied.error().message, Not(HasSubstr(kPlanted)));
  EXPECT_THAT(logs.Text(), HasSubstr("reading it again failed"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr(kPlanted)));
}

// Defence in depth for issue 9: a provider (a third party's, or a future one) whose write error
// quotes the value, raw or JSON-escaped, never gets it into the caller's error or the breaker's
// warning; the rest of its message is kept.
TEST_F(ManagerTest, AWriteErrorThatQuotesTheValueIsRedacted) {
  constexpr std::string_view kPlanted = "planted\"quoted-value-Qm47";
  LogCapture logs;
  Make();
  EXPECT_CALL(*provider_, Put(_, _, _))
      .WillRepeatedly([](std::string_view, const SecretValue& value, Stage) -> Result<VersionInfo> {
        return MakeError(ErrorCode::kUnavailable, "refused '" + std::string(value.RevealUnsafe()) +
                                                      "' (as JSON: planted\\\"quoted-value-Qm47)");
      });
  for (int i = 0; i < 4; ++i) {
    auto put = manager_->Put("db", SecretValue(kPlanted));
    ASSERT_THAT(put, HasError(ErrorCode::kUnavailable));
    EXPECT_THAT(put.error().message, Not(HasSubstr("quoted-value-Qm47")));
  }
  auto rotated = manager_->Rotate("db", 16);
  EXPECT_FALSE(rotated.ok());
  EXPECT_THAT(logs.Text(), HasSubstr("circuit breaker"));
  EXPECT_THAT(logs.Text(), HasSubstr("refused '***'"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("quoted-value-Qm47")));
}

TEST_F(ManagerTest, BadNamesAreRefusedBeforeTheBackEnd) {
  Make();
  EXPECT_CALL(*provider_, Put(_, _, _)).Times(0);
  EXPECT_CALL(*provider_, Describe(_)).Times(0);
  EXPECT_THAT(manager_->Put("bad name#x", SecretValue("v")), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(manager_->Describe("../etc"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(manager_->Rotate("ok", 0), HasError(ErrorCode::kInvalidArgument));
}

TEST_F(ManagerTest, BackendDetailsAreTheProvidersFactsAndDefaultToNone) {
  Make();
  auto none = manager_->BackendDetails();  // Provider::StatusDetails' default
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
  EXPECT_CALL(*provider_, StatusDetails())
      .WillOnce(Return(ByMove(Result<StatusDetailList>(StatusDetailList{{"token ttl", "1h"}}))));
  auto details = manager_->BackendDetails();
  ASSERT_THAT(details, IsOk());
  EXPECT_EQ(details->size(), 1u);
}

}  // namespace
}  // namespace locksmith::testing
