// A hostile or broken AWS endpoint: answers nested a million deep, and answers larger than the
// HTTP client's caps from Secrets Manager, the container credentials endpoint and IMDS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "providers/aws/credentials/container.h"
#include "providers/aws/credentials/imds.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class FixedTestCredentials : public internal::AwsCredentialSource {
 public:
  Result<internal::AwsCredentials> Fetch() override {
    internal::AwsCredentials creds;
    creds.access_key_id = ::locksmith::testing::kAwsTestAccessKey;
    creds.secret_access_key = SecretValue(::locksmith::testing::kAwsTestSecretKey);
    return creds;
  }
  std::string_view Name() const override { return "fixed"; }
};

EnvLookup BoundedTestEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// Answers every request with one fixed 200 body (no server needed for a malformed field).
class CannedAnswerHttpClient : public internal::HttpClient {
 public:
  explicit CannedAnswerHttpClient(std::string body) : body_(std::move(body)) {}
  Result<internal::HttpResponse> Send(const internal::HttpRequest&) override {
    internal::HttpResponse response;
    response.status = 200;
    response.body = body_;
    return response;
  }

 private:
  std::string body_;
};

class AwsBoundedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "aws test server did not start";
    server_.SetClock(clock_.WallNow());
    auto http = internal::CreateCurlHttpClient({});
    ASSERT_THAT(http, IsOk());
    http_ = std::move(http).value();
  }

  std::unique_ptr<internal::AwsProviderImpl> MakeProvider() {
    AwsOptions options;
    options.region = "eu-west-1";
    options.endpoint_url = server_.url();
    options.prefix = "agentauri-backend/production";
    options.timeout = 10s;
    auto http = internal::CreateCurlHttpClient({});
    EXPECT_THAT(http, IsOk());
    auto provider = internal::AwsProviderImpl::Create(
        std::move(options), std::move(http).value(), nullptr,
        std::make_unique<FixedTestCredentials>(), clock_, random_);
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
  internal::HttpClientPtr http_;
};

// The finding: the recursive WipeAwsJson overflowed the stack on this answer (exit 139).
TEST_F(AwsBoundedTest, AnswerNestedAMillionDeepIsAnErrorNotACrash) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  server_.Fault({{"kind", "deep"}, {"count", 1}, {"op", "GetSecretValue"}});
  auto read = MakeProvider()->Get("k", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kUnavailable, "nested deeper than 64"));
  auto again = MakeProvider()->Get("k", VersionSelector::Current());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->value.Equals("v"));
}

// 64 MiB streamed without Content-Length stops at the 8 MiB cap; before, all of it was read and
// returned as the value.
TEST_F(AwsBoundedTest, AnswerOverTheBodyCapIsRefused) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  server_.Fault({{"kind", "huge"}, {"count", 1}, {"op", "GetSecretValue"}});
  auto read = MakeProvider()->Get("k", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kDataLoss, "exceeds 8388608 bytes"));
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error().message, Not(HasSubstr("aaaa")));
}

// The plain-http credential endpoints get a much smaller cap (64 KiB): their answers are a few
// hundred bytes.
TEST_F(AwsBoundedTest, CredentialEndpointsOverTheirCapAreRefused) {
  server_.Control("POST", "/_test/container", {{"huge", 1 << 20}});
  auto container = internal::MakeContainerCredentialSource(
      BoundedTestEnv(
          {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/_test/container-credentials"}}),
      *http_);
  EXPECT_THAT(container->Fetch(), HasErrorMessage(ErrorCode::kDataLoss, "exceeds 65536 bytes"));

  server_.Control("POST", "/_test/imds", {{"huge", 1 << 20}});
  auto imds = internal::MakeImdsCredentialSource(
      BoundedTestEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}}), *http_);
  EXPECT_THAT(imds->Fetch(), HasErrorMessage(ErrorCode::kDataLoss, "exceeds 65536 bytes"));

  server_.Control("POST", "/_test/container", {{"huge", 0}});
  server_.Control("POST", "/_test/imds", {{"huge", 0}});
  EXPECT_THAT(container->Fetch(), IsOk());
  EXPECT_THAT(imds->Fetch(), IsOk());
}

// Found by fuzz/aws_response: a CreatedDate past what the nanosecond clock holds (year 2518)
// overflowed the double-to-integer conversion (undefined behaviour). It now reads as no date.
TEST(AwsHostileAnswersTest, CreatedDatePastTheClocksRangeIsNoDate) {
  locksmith::testing::FakeClock clock;
  locksmith::testing::FakeRandom random;
  AwsOptions options;
  options.region = "eu-west-1";
  options.endpoint_url = "http://127.0.0.1:9";
  auto provider = internal::AwsProviderImpl::Create(
      std::move(options),
      std::make_unique<CannedAnswerHttpClient>(
          R"({"ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:k-AbCdEf", "Name": "k",)"
          R"( "VersionId": "v1", "VersionStages": ["AWSCURRENT"], "SecretString": "value",)"
          R"( "CreatedDate": 17296000000.123})"),
      nullptr, std::make_unique<FixedTestCredentials>(), clock, random);
  ASSERT_THAT(provider, IsOk());
  auto read = (*provider)->Get("k", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->value.Equals("value"));
  EXPECT_EQ(read->version.created, std::chrono::system_clock::time_point{});
}

// Found by fuzz/aws_response: a BatchGetSecretValue answer listing a name twice, a name not asked
// for, or an error for an unknown id made GetBatch report more answers than names asked (and a
// name whose value was malformed twice: its error, then "not found"). Each name asked now gets
// exactly one answer; entries for names not asked are ignored.
TEST(AwsHostileAnswersTest, BatchAnswersEachNameAskedExactlyOnce) {
  locksmith::testing::FakeClock clock;
  locksmith::testing::FakeRandom random;
  AwsOptions options;
  options.region = "eu-west-1";
  options.endpoint_url = "http://127.0.0.1:9";
  auto entry = [](const std::string& name, const std::string& value) {
    return R"({"Name": ")" + name + R"(", "VersionId": "v1", "VersionStages": ["AWSCURRENT"], )" +
           R"("SecretString": ")" + value + R"("})";
  };
  auto provider = internal::AwsProviderImpl::Create(
      std::move(options),
      std::make_unique<CannedAnswerHttpClient>(
          R"({"SecretValues": [)" + entry("a", "first") + ", " + entry("a", "second") + ", " +
          entry("not-asked", "other") + R"(, {"Name": "c", "VersionId": "v1"}],)" +
          R"( "Errors": [{"SecretId": "unknown", "ErrorCode": "ResourceNotFoundException"},)" +
          R"( {"SecretId": "c", "ErrorCode": "ResourceNotFoundException"}]})"),
      nullptr, std::make_unique<FixedTestCredentials>(), clock, random);
  ASSERT_THAT(provider, IsOk());
  auto batch = (*provider)->GetBatch({"a", "b", "c"});
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->secrets.size(), 1u);
  EXPECT_EQ(batch->secrets[0].name, "a");
  EXPECT_TRUE(batch->secrets[0].value.Equals("first"));
  std::vector<std::string> failed;
  for (const auto& [name, error] : batch->errors) {
    failed.push_back(name);
  }
  std::sort(failed.begin(), failed.end());
  EXPECT_EQ(failed, (std::vector<std::string>{"b", "c"}));  // c: no value, once
}

}  // namespace
}  // namespace locksmith
