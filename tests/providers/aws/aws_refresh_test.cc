// RefreshingCredentials with a fake clock: botocore's advisory (15 min) and mandatory (10 min)
// refresh times, a failed advisory refresh keeping the held credentials (warned once), a failed
// mandatory one returning its error; and botocore's extension of credentials IMDS serves near
// their expiry (tests/servers/aws_server.py). The same refresh times through a whole provider:
// aws_imds_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_test_server.h"
#include "providers/aws/credentials/imds.h"
#include "providers/aws/credentials/refreshing.h"
#include "support/log_capture.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Credentials "AK<n>" for the n-th fetch, expiring `lifetime` after it; or `failure`.
class RefreshScriptSource : public internal::AwsCredentialSource {
 public:
  explicit RefreshScriptSource(Clock& clock) : clock_(clock) {}
  Result<internal::AwsCredentials> Fetch() override {
    ++fetches;
    if (failure) {
      return MakeError(*failure, "source failed");
    }
    internal::AwsCredentials creds;
    creds.source = "scripted";
    creds.access_key_id = "AK" + std::to_string(fetches);
    creds.secret_access_key = SecretValue("s");
    creds.expiration = clock_.WallNow() + lifetime;
    return creds;
  }
  std::string_view Name() const override { return "scripted"; }
  int fetches = 0;
  std::optional<ErrorCode> failure;
  std::chrono::seconds lifetime = 1h;

 private:
  Clock& clock_;
};

class AwsRefreshTest : public ::testing::Test {
 protected:
  AwsRefreshTest() {
    auto source = std::make_unique<RefreshScriptSource>(clock_);
    source_ = source.get();
    creds_ = std::make_unique<internal::RefreshingCredentials>(std::move(source), clock_);
  }
  std::string KeyId() {
    auto got = creds_->Get();
    return got.ok() ? got->access_key_id : "error: " + got.error().ToString();
  }
  locksmith::testing::FakeClock clock_;
  RefreshScriptSource* source_;
  std::unique_ptr<internal::RefreshingCredentials> creds_;
};

TEST_F(AwsRefreshTest, NoRefreshFarFromExpiry) {
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(45min);  // 15 min left: not yet
  EXPECT_EQ(KeyId(), "AK1");
  EXPECT_EQ(source_->fetches, 1);
}

TEST_F(AwsRefreshTest, RefreshesFifteenMinutesAhead) {
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(45min + 1s);
  EXPECT_EQ(KeyId(), "AK2");
  EXPECT_EQ(KeyId(), "AK2");
  EXPECT_EQ(source_->fetches, 2);
}

TEST_F(AwsRefreshTest, AFailedAdvisoryRefreshKeepsTheCredentialsAndWarnsOnce) {
  locksmith::testing::LogCapture log;
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(46min);  // 14 min left
  source_->failure = ErrorCode::kUnavailable;
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(3min);  // 11 min left: still advisory, tried again
  EXPECT_EQ(KeyId(), "AK1");
  EXPECT_EQ(source_->fetches, 3);
  const std::string text = log.Text();
  const auto first = text.find("refreshing AWS credentials failed");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("refreshing AWS credentials failed", first + 1), std::string::npos);
  // Back: refreshed, and a later failure is warned about again.
  source_->failure.reset();
  EXPECT_EQ(KeyId(), "AK4");
}

TEST_F(AwsRefreshTest, AFailedMandatoryRefreshIsAnError) {
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(51min);  // 9 min left: still valid, but the refresh must succeed
  source_->failure = ErrorCode::kUnavailable;
  auto got = creds_->Get();
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kUnavailable, "could not be refreshed"));
  EXPECT_THAT(got.error().message, HasSubstr("expire in 540 s"));
  source_->failure.reset();
  EXPECT_EQ(KeyId(), "AK3");
}

TEST_F(AwsRefreshTest, ASourceNoLongerConfiguredIsUnauthenticatedNotNotFound) {
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(2h);
  source_->failure = ErrorCode::kNotFound;
  EXPECT_THAT(creds_->Get(), HasError(ErrorCode::kUnauthenticated));
}

TEST_F(AwsRefreshTest, RefreshedButExpiredIsAnError) {
  source_->lifetime = 0s;
  EXPECT_THAT(creds_->Get(), HasErrorMessage(ErrorCode::kUnauthenticated, "expired"));
  source_->lifetime = 1h;
  EXPECT_EQ(KeyId(), "AK2");
}

TEST_F(AwsRefreshTest, InvalidateFetchesAgain) {
  EXPECT_EQ(KeyId(), "AK1");
  creds_->Invalidate();
  EXPECT_EQ(KeyId(), "AK2");
  EXPECT_EQ(creds_->fetch_count(), 2);
}

TEST_F(AwsRefreshTest, ConcurrentReadersInTheAdvisoryWindow) {
  EXPECT_EQ(KeyId(), "AK1");
  clock_.Advance(46min);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        EXPECT_THAT(creds_->Get(), IsOk());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(creds_->fetch_count(), 2);  // the first refresh leaves 1 h: no more
}

// ------------------------------------------------------------ through a provider, from IMDS

EnvLookup RefreshTestEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

class AwsImdsExtensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    server_.SetClock(clock_.WallNow());
  }
  void Advance(std::chrono::seconds by) {
    clock_.Advance(by);
    server_.AdvanceClock(by);
  }
  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
};

TEST_F(AwsImdsExtensionTest, CredentialsServedNearExpiryAreExtendedAsBotocoreDoes) {
  // IMDS serves credentials with 5 minutes left (rotation pending): reported to expire in
  // 15 min + jitter (FakeRandom: the middle, 360 s), so asked again 6 minutes later, not on every
  // request.
  server_.Control("POST", "/_test/imds", {{"ttl", 300}});
  auto http = internal::CreateCurlHttpClient({});
  ASSERT_THAT(http, IsOk());
  auto imds = internal::MakeImdsCredentialSource(
      RefreshTestEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}}), **http, std::nullopt,
      &clock_, &random_);
  auto creds = imds->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->expiration, clock_.WallNow() + 15min + 360s);

  internal::RefreshingCredentials refreshing(std::move(imds), clock_);
  ASSERT_THAT(refreshing.Get(), IsOk());
  Advance(5min);
  ASSERT_THAT(refreshing.Get(), IsOk());
  EXPECT_EQ(refreshing.fetch_count(), 1);
  Advance(2min);
  ASSERT_THAT(refreshing.Get(), IsOk());
  EXPECT_EQ(refreshing.fetch_count(), 2);

  // Credentials with hours left are not touched.
  server_.Control("POST", "/_test/imds", {{"ttl", 21600}});
  auto http2 = internal::CreateCurlHttpClient({});
  auto fresh = internal::MakeImdsCredentialSource(
                   RefreshTestEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}}), **http2,
                   std::nullopt, &clock_, &random_)
                   ->Fetch();
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->expiration, clock_.WallNow() + 6h);
}

}  // namespace
}  // namespace locksmith
