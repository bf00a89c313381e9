// The IMDS credential source against tests/servers/aws_server.py's IMDS modes, which
// tests/servers/test_aws_server_imds_botocore.py proves faithful with botocore: IMDSv2 first,
// IMDSv1 when the token PUT is refused (403/404/405), unanswered (the hop limit inside a
// container) or fails otherwise, as botocore does; no fallback when IMDSv1 is disabled; the
// settings botocore reads (timeout, attempts) and their bad values; and botocore's refresh times
// (15 minutes ahead; a failure kept quiet in the advisory window, shown in the mandatory one)
// through a whole provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_test_server.h"
#include "providers/aws/credentials/imds.h"
#include "support/temp_dir.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

EnvLookup ImdsTestEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

class AwsImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    auto http = internal::CreateCurlHttpClient({});
    ASSERT_THAT(http, IsOk());
    http_ = std::move(http).value();
    before_ = server_.Control("GET", "/_test/imds");
  }
  // The IMDS source with the server as endpoint and `vars` added.
  Result<internal::AwsCredentials> Fetch(std::map<std::string, std::string> vars = {}) {
    vars.emplace("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url());
    return internal::MakeImdsCredentialSource(ImdsTestEnv(std::move(vars)), *http_)->Fetch();
  }
  void Mode(const nlohmann::json& mode) { server_.Control("POST", "/_test/imds", mode); }
  // How many more of `counter` (token_puts, v1_gets, v2_gets) the server saw since SetUp.
  int Delta(const std::string& counter) {
    return server_.Control("GET", "/_test/imds")[counter].get<int>() - before_[counter].get<int>();
  }

  AwsTestServer server_;
  internal::HttpClientPtr http_;
  nlohmann::json before_;
};

TEST_F(AwsImdsTest, V2WhenTheTokenIsGiven) {
  Mode({{"require_token", false}});
  auto creds = Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  EXPECT_EQ(Delta("v2_gets"), 2);
  EXPECT_EQ(Delta("v1_gets"), 0);
}

TEST_F(AwsImdsTest, V1WhenTheTokenPutIsRefused) {
  Mode({{"require_token", false}});
  for (int status : {403, 404, 405}) {
    SCOPED_TRACE(status);
    Mode({{"token_put", status}});
    auto creds = Fetch();
    ASSERT_THAT(creds, IsOk());
    EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  }
  EXPECT_EQ(Delta("token_puts"), 3);
  EXPECT_EQ(Delta("v1_gets"), 6);
  EXPECT_EQ(Delta("v2_gets"), 0);
}

TEST_F(AwsImdsTest, V1WhenTheTokenPutTimesOut) {
  // The hop limit inside a container drops the PUT's answer: after AWS_METADATA_SERVICE_TIMEOUT
  // (1 s here, botocore's default) IMDSv1 is tried at once, without another PUT.
  Mode({{"require_token", false}, {"token_put", "hang"}});
  const auto start = std::chrono::steady_clock::now();
  auto creds =
      Fetch({{"AWS_METADATA_SERVICE_TIMEOUT", "1"}, {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3"}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);  // a generous bound on 1 s
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(Delta("token_puts"), 1);
  EXPECT_EQ(Delta("v1_gets"), 2);
}

TEST_F(AwsImdsTest, OtherStatusesAreRetriedThenV1) {
  Mode({{"require_token", false}, {"token_put", 500}});
  ASSERT_THAT(Fetch({{"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"}}), IsOk());
  EXPECT_EQ(Delta("token_puts"), 2);
  EXPECT_EQ(Delta("v1_gets"), 2);
}

TEST_F(AwsImdsTest, A400ToTheTokenPutIsFatal) {
  Mode({{"require_token", false}, {"token_put", 400}});
  EXPECT_THAT(Fetch(), HasErrorMessage(ErrorCode::kUnauthenticated, "HTTP 400"));
  EXPECT_EQ(Delta("v1_gets"), 0);
}

TEST_F(AwsImdsTest, TokensRequiredAfterARefusedPutNamesTheHopLimit) {
  Mode({{"token_put", 403}});  // require_token stays true: IMDSv1 answers 401
  auto creds = Fetch();
  EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kUnauthenticated, "HTTP 403"));
  EXPECT_THAT(creds.error().message, HasSubstr("hop limit"));
  EXPECT_EQ(Delta("v1_gets"), 1);
}

TEST_F(AwsImdsTest, V1DisabledRefusesTheFallback) {
  Mode({{"require_token", false}, {"token_put", 405}});
  for (const char* value : {"true", "TRUE"}) {
    auto creds = Fetch({{"AWS_EC2_METADATA_V1_DISABLED", value}});
    EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kUnauthenticated, "IMDSv1 is disabled"));
    EXPECT_THAT(creds.error().message, HasSubstr("AWS_EC2_METADATA_V1_DISABLED"));
    EXPECT_THAT(creds.error().message, HasSubstr("HTTP 405"));
  }
  EXPECT_EQ(Delta("v1_gets"), 0);
  // false is the default: the fallback happens.
  EXPECT_THAT(Fetch({{"AWS_EC2_METADATA_V1_DISABLED", "false"}}), IsOk());
  // With a token IMDSv1 is not needed.
  Mode({{"token_put", nullptr}});
  EXPECT_THAT(Fetch({{"AWS_EC2_METADATA_V1_DISABLED", "true"}}), IsOk());
}

TEST_F(AwsImdsTest, V1DisabledAndATimeoutSaysSo) {
  Mode({{"require_token", false}, {"token_put", "hang"}});
  auto creds =
      Fetch({{"AWS_EC2_METADATA_V1_DISABLED", "true"}, {"AWS_METADATA_SERVICE_TIMEOUT", "1"}});
  EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kUnauthenticated, "timed out"));
  EXPECT_THAT(creds.error().message, HasSubstr("hop limit"));
  EXPECT_EQ(Delta("v1_gets"), 0);
}

TEST_F(AwsImdsTest, SettingsFromTheProfileAndVariablesFirst) {
  locksmith::testing::TempDir dir;
  {
    std::ofstream config(dir.path() / "config");
    config << "[default]\nec2_metadata_v1_disabled = true\nmetadata_service_num_attempts = 2\n"
           << "[profile typo]\nec2_metadata_v1_disabled = ture\n";
  }
  Mode({{"require_token", false}, {"token_put", 500}});
  auto fetch = [&](std::map<std::string, std::string> vars, const std::string& profile) {
    vars.emplace("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url());
    vars.emplace("AWS_CONFIG_FILE", (dir.path() / "config").string());
    auto env = ImdsTestEnv(std::move(vars));
    auto files = internal::ResolveSharedFiles(env, profile);
    return internal::MakeImdsCredentialSource(env, *http_, files)->Fetch();
  };
  EXPECT_THAT(fetch({}, ""), HasErrorMessage(ErrorCode::kUnauthenticated, "IMDSv1 is disabled"));
  EXPECT_EQ(Delta("token_puts"), 2);  // metadata_service_num_attempts
  EXPECT_EQ(Delta("v1_gets"), 0);
  EXPECT_THAT(fetch({{"AWS_EC2_METADATA_V1_DISABLED", "false"}}, ""), IsOk());
  EXPECT_THAT(fetch({}, "typo"),
              HasErrorMessage(ErrorCode::kInvalidArgument,
                              "ec2_metadata_v1_disabled in profile 'typo' must be true or false"));
}

TEST_F(AwsImdsTest, NothingListeningIsNotFound) {
  // Not on EC2: the PUT and the IMDSv1 GET both fail to connect; the chain goes on.
  auto source = internal::MakeImdsCredentialSource(
      ImdsTestEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"},
                   {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"}}),
      *http_);
  EXPECT_THAT(source->Fetch(), HasError(ErrorCode::kNotFound));
}

TEST_F(AwsImdsTest, BadSettingsNameTheVariable) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"AWS_METADATA_SERVICE_TIMEOUT", "1.5"},
           {"AWS_METADATA_SERVICE_TIMEOUT", "0"},
           {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "0"},
           {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "many"},
           {"AWS_EC2_METADATA_V1_DISABLED", "yes"},
       }) {
    SCOPED_TRACE(name + "=" + value);
    auto creds = Fetch({{name, value}});
    EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kInvalidArgument, name));
  }
  EXPECT_EQ(Delta("token_puts"), 0);
}

// ------------------------------------------------------------ refresh times, through a provider

class AwsImdsRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    server_.SetClock(clock_.WallNow());
  }
  void Advance(std::chrono::seconds by) {
    clock_.Advance(by);
    server_.AdvanceClock(by);
  }
  std::unique_ptr<AwsSecretsManagerProvider> Provider() {
    auto env = ImdsTestEnv({{"AWS_REGION", "eu-west-1"},
                            {"AWS_ENDPOINT_URL", server_.url()},
                            {"HOME", "/nonexistent"},
                            {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}});
    auto options = AwsOptionsFromEnv(env);
    EXPECT_THAT(options, IsOk());
    auto provider = CreateAwsProvider(*options, env, clock_, random_);
    EXPECT_THAT(provider, IsOk());
    return std::move(provider).value();
  }
  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
};

TEST_F(AwsImdsRefreshTest, RefreshesFifteenMinutesAheadAndAMandatoryFailureShows) {
  auto provider = Provider();
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  EXPECT_EQ(server_.Stats()["issued"], 1);
  Advance(44min);  // 16 min left: kept
  ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  EXPECT_EQ(server_.Stats()["issued"], 1);
  Advance(2min);  // 14 min left: refreshed ahead
  ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  EXPECT_EQ(server_.Stats()["issued"], 2);

  // IMDS now refuses the token and IMDSv1 (a broken hop limit): within the advisory window the
  // held credentials go on, within the mandatory one the failure shows.
  server_.Control("POST", "/_test/imds", {{"token_put", 403}});
  Advance(46min);  // 14 min left
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  Advance(5min);  // 9 min left
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kUnauthenticated, "hop limit"));
  EXPECT_EQ(server_.Stats()["auth_failures"], 0);
}

}  // namespace
}  // namespace locksmith
