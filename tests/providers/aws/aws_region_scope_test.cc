// The region in the SigV4 scope: a regional endpoint (tests/servers/aws_server.py with its region
// set, as proved with the aws CLI) refuses requests signed for another region, and the error says
// which region was signed for and what to check, for reads and for writes alike.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::kAwsTestAccessKey;
using ::locksmith::testing::kAwsTestSecretKey;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class AwsRegionScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "aws test server did not start";
    server_.SetClock(clock_.WallNow());
    server_.Control("POST", "/_test/region", {{"region", "eu-west-1"}});
  }

  std::unique_ptr<internal::AwsProviderImpl> SignedFor(const std::string& region) {
    AwsOptions options;
    options.region = region;
    options.endpoint_url = server_.url();
    options.timeout = 5s;
    std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", kAwsTestAccessKey},
                                               {"AWS_SECRET_ACCESS_KEY", kAwsTestSecretKey}};
    EnvLookup env = [vars](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    auto http = internal::CreateCurlHttpClient({});
    EXPECT_THAT(http, IsOk());
    auto provider =
        internal::AwsProviderImpl::Create(std::move(options), std::move(http).value(), nullptr,
                                          internal::MakeEnvCredentialSource(env), clock_, random_);
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
};

TEST_F(AwsRegionScopeTest, SignedForTheServersRegionPasses) {
  auto provider = SignedFor("eu-west-1");
  ASSERT_THAT(provider->Put("scoped", SecretValue("in-region"), Stage::kCurrent), IsOk());
  EXPECT_TRUE(provider->Get("scoped", VersionSelector::Current())->value.Equals("in-region"));
}

TEST_F(AwsRegionScopeTest, SignedForAnotherRegionIsAClearError) {
  ASSERT_THAT(SignedFor("eu-west-1")->Put("scoped", SecretValue("in-region"), Stage::kCurrent),
              IsOk());
  auto provider = SignedFor("us-west-2");
  auto read = provider->Get("scoped", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kUnauthenticated,
                                    "Credential should be scoped to a valid region"));
  EXPECT_THAT(read.error().message, HasSubstr("signed for region 'us-west-2'"));
  EXPECT_THAT(read.error().message, HasSubstr("AWS_REGION"));
  // A write quotes nothing AWS said, but still names the region it signed for.
  auto write = provider->Put("scoped", SecretValue("written-Planted-77aa"), Stage::kCurrent);
  EXPECT_THAT(write, HasErrorMessage(ErrorCode::kUnauthenticated, "InvalidSignatureException"));
  EXPECT_THAT(write.error().message, HasSubstr("signed for region 'us-west-2'"));
  EXPECT_THAT(write.error().message, Not(HasSubstr("Planted")));
  EXPECT_THAT(write.error().message, Not(HasSubstr(kAwsTestSecretKey)));
}

}  // namespace
}  // namespace locksmith
