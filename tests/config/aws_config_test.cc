// SECRETS_BACKEND=aws: LoadConfig's rules for the AWS variables, and CreateProvider's aws branch
// against tests/servers/aws_server.py over a real socket (region from the environment or from
// the profile, the endpoint override, credentials from the environment or a profile file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "locksmith/aws_provider.h"
#include "locksmith/config.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_test_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::kAwsTestAccessKey;
using ::locksmith::testing::kAwsTestSecretKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPlantedSecretKey[] = "planted-aws-secret-key-Hs72";
constexpr char kPrefix[] = "agentauri-backend/production";

using Env = testing::FakeEnv;

void ExpectAwsRejected(const Env& env, std::string_view needle) {
  auto c = env.Load();
  ASSERT_THAT(c, HasError(ErrorCode::kInvalidArgument)) << needle;
  EXPECT_THAT(c.error().message, HasSubstr(std::string(needle)));
  EXPECT_THAT(c.error().message, Not(HasSubstr("planted")));
}

Env AwsEnv() { return Env().Set("SECRETS_BACKEND", "aws").Set("AWS_REGION", "eu-west-1"); }

TEST(AwsConfigTest, EndpointUrlIsChecked) {
  EXPECT_THAT(AwsEnv().Set("AWS_ENDPOINT_URL", "https://sm.internal").Load(), IsOk());
  ExpectAwsRejected(AwsEnv().Set("AWS_ENDPOINT_URL", "not a url"), "AWS_ENDPOINT_URL=");
  ExpectAwsRejected(AwsEnv().Set("AWS_ENDPOINT_URL", "ftp://sm.internal"), "AWS_ENDPOINT_URL=");
  ExpectAwsRejected(AwsEnv().Set("AWS_ENDPOINT_URL_SECRETS_MANAGER", "sm.internal:443"),
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER=");
  // The service-specific variable wins, so a bad generic one behind it does not matter.
  EXPECT_THAT(AwsEnv()
                  .Set("AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://sm.internal")
                  .Set("AWS_ENDPOINT_URL", "bogus")
                  .Load(),
              IsOk());
  // Only the aws back end cares.
  EXPECT_THAT(Env().Set("AWS_ENDPOINT_URL", "bogus").Load(), IsOk());
}

TEST(AwsConfigTest, PlainHttpOnlyToLoopbackUnlessAllowed) {
  ExpectAwsRejected(AwsEnv()
                        .Set("AWS_ENDPOINT_URL", "http://sm.internal:8080")
                        .Set("AWS_SECRET_ACCESS_KEY", kPlantedSecretKey),
                    "LOCKSMITH_ALLOW_INSECURE_HTTP");
  ExpectAwsRejected(AwsEnv().Set("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm.internal"),
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER uses plain http://");
  auto allowed = AwsEnv()
                     .Set("AWS_ENDPOINT_URL", "http://sm.internal:8080")
                     .Set("LOCKSMITH_ALLOW_INSECURE_HTTP", "true")
                     .Load();
  ASSERT_THAT(allowed, IsOk());
  EXPECT_TRUE(allowed->aws.allow_plain_http);
  for (const char* url : {"http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566"}) {
    EXPECT_THAT(AwsEnv().Set("AWS_ENDPOINT_URL", url).Load(), IsOk()) << url;
  }
}

// --- CreateProvider -----------------------------------------------------------------------

class AwsCreateProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "aws test server did not start";
    server_.SetClock(clock_.WallNow());
  }

  // The aws back end at the test server, credentials from the environment, HOME empty.
  Env ServerEnv() const {
    return AwsEnv()
        .Set("HOME", dir_.path().string())
        .Set("AWS_ENDPOINT_URL", server_.url())
        .Set("AWS_SECRETS_PREFIX", kPrefix)
        .Set("AWS_ACCESS_KEY_ID", kAwsTestAccessKey)
        .Set("AWS_SECRET_ACCESS_KEY", kAwsTestSecretKey)
        .Set("AWS_EC2_METADATA_DISABLED", "true");
  }

  Result<ProviderPtr> Create(const Env& env) {
    auto config = env.Load();
    if (!config.ok()) {
      return std::move(config).error();
    }
    return CreateProvider(*config, env.Lookup(), clock_, random_);
  }

  testing::AwsTestServer server_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::TempDir dir_;
};

TEST_F(AwsCreateProviderTest, BuildsAgainstALoopbackEndpoint) {
  auto provider = Create(ServerEnv());
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "aws");
  auto* aws = dynamic_cast<AwsSecretsManagerProvider*>(provider->get());
  ASSERT_NE(aws, nullptr);
  EXPECT_EQ(aws->Endpoint(), server_.url());
  auto facts = (*provider)->StatusDetails();
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(*facts, (StatusDetailList{{"aws endpoint", server_.url()},
                                      {"aws region", "eu-west-1"},
                                      {"aws prefix", kPrefix},
                                      {"aws credentials", "environment"}}));
  ASSERT_THAT((*provider)->Put("jwt-secret", SecretValue("v1"), Stage::kCurrent), IsOk());
  auto got = (*provider)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("v1"));
  // The prefix from AWS_SECRETS_PREFIX names the secret in Secrets Manager.
  auto listed = (*provider)->List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(*listed, std::vector<std::string>{"jwt-secret"});
  // The start-up preload still goes through BatchGetSecretValue (one call, no GetSecretValue).
  ASSERT_THAT((*provider)->Put("db-encryption-key", SecretValue("k"), Stage::kCurrent), IsOk());
  server_.Control("POST", "/_test/reset-stats");
  auto batch = (*provider)->GetCurrentBatch({"jwt-secret", "db-encryption-key", "missing"});
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->secrets.size(), 2u);
  EXPECT_EQ(batch->errors.size(), 1u);
  EXPECT_EQ(server_.OpCount("BatchGetSecretValue"), 1);
  EXPECT_EQ(server_.OpCount("GetSecretValue"), 0);
  auto unprefixed = Create(ServerEnv().Set("AWS_SECRETS_PREFIX", ""));
  ASSERT_THAT(unprefixed, IsOk());
  auto raw = (*unprefixed)->List("");
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(*raw, (std::vector<std::string>{std::string(kPrefix) + "/db-encryption-key",
                                            std::string(kPrefix) + "/jwt-secret"}));
}

TEST_F(AwsCreateProviderTest, ServiceEndpointVariableWins) {
  auto provider = Create(ServerEnv()
                             .Set("AWS_ENDPOINT_URL", "https://unused.example.com")
                             .Set("AWS_ENDPOINT_URL_SECRETS_MANAGER", server_.url() + "/"));
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ(dynamic_cast<AwsSecretsManagerProvider*>(provider->get())->Endpoint(), server_.url());
  EXPECT_THAT((*provider)->List(""), IsOk());
}

TEST_F(AwsCreateProviderTest, RegionAndCredentialsFromTheProfile) {
  const auto config_file = dir_.path() / "aws-config";
  const auto credentials_file = dir_.path() / "aws-credentials";
  std::ofstream(config_file) << "[profile ops]\nregion = ap-southeast-2\n";
  std::ofstream(credentials_file) << "[ops]\naws_access_key_id = " << kAwsTestAccessKey
                                  << "\naws_secret_access_key = " << kAwsTestSecretKey << "\n";
  Env env = Env()
                .Set("SECRETS_BACKEND", "aws")
                .Set("HOME", dir_.path().string())
                .Set("AWS_ENDPOINT_URL", server_.url())
                .Set("AWS_CONFIG_FILE", config_file.string())
                .Set("AWS_SHARED_CREDENTIALS_FILE", credentials_file.string())
                .Set("AWS_PROFILE", "ops")
                .Set("AWS_EC2_METADATA_DISABLED", "true");
  auto provider = Create(env);
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->Put("jwt-secret", SecretValue("v1"), Stage::kCurrent), IsOk());
  // `locksmith status` facts: the profile's region, where the credentials came from.
  auto facts = (*provider)->StatusDetails();
  ASSERT_THAT(facts, IsOk());
  std::map<std::string, std::string> by_label(facts->begin(), facts->end());
  EXPECT_EQ(by_label["aws region"], "ap-southeast-2");
  EXPECT_EQ(by_label["aws credentials"], "profile ops");
  EXPECT_EQ(by_label["aws prefix"], "(none)");
  // The environment's region wins over the profile's.
  auto from_env = env.Set("AWS_REGION", "eu-central-1").Load();
  ASSERT_THAT(from_env, IsOk());
  EXPECT_EQ(from_env->aws.region, "eu-central-1");
}

TEST_F(AwsCreateProviderTest, NoRegionAnywhere) {
  Env env = Env()
                .Set("SECRETS_BACKEND", "aws")
                .Set("HOME", dir_.path().string())  // no ~/.aws here
                .Set("AWS_ACCESS_KEY_ID", kAwsTestAccessKey)
                .Set("AWS_SECRET_ACCESS_KEY", kPlantedSecretKey);
  auto provider = Create(env);
  ASSERT_THAT(provider, HasErrorMessage(ErrorCode::kInvalidArgument, "no AWS region"));
  EXPECT_THAT(provider.error().message, Not(HasSubstr("planted")));
  // A profile without a region does not help.
  const auto config_file = dir_.path() / "aws-config";
  std::ofstream(config_file) << "[default]\noutput = json\n";
  EXPECT_THAT(Create(env.Set("AWS_CONFIG_FILE", config_file.string())),
              HasErrorMessage(ErrorCode::kInvalidArgument, "no AWS region"));
}

TEST_F(AwsCreateProviderTest, ErrorsPassThroughWithoutSecrets) {
  EXPECT_THAT(Create(ServerEnv().Set("AWS_USE_FIPS_ENDPOINT", "sometimes")),
              HasErrorMessage(ErrorCode::kInvalidArgument, "AWS_USE_FIPS_ENDPOINT"));
  // A wrong secret key builds (credentials are only used on the first call), then fails
  // unauthenticated without echoing the key.
  auto wrong = Create(ServerEnv().Set("AWS_SECRET_ACCESS_KEY", kPlantedSecretKey));
  ASSERT_THAT(wrong, IsOk());
  auto listed = (*wrong)->List("");
  ASSERT_THAT(listed, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(listed.error().message, Not(HasSubstr("planted")));
  // No credentials anywhere: the status facts report it.
  auto no_credentials = Create(AwsEnv()
                                   .Set("HOME", dir_.path().string())
                                   .Set("AWS_ENDPOINT_URL", server_.url())
                                   .Set("AWS_EC2_METADATA_DISABLED", "true"));
  ASSERT_THAT(no_credentials, IsOk());
  EXPECT_THAT((*no_credentials)->StatusDetails(),
              HasErrorMessage(ErrorCode::kUnauthenticated, "no AWS credentials"));
  // Plain http to a host other than loopback: refused at configuration time unless allowed.
  EXPECT_THAT(Create(ServerEnv()
                         .Set("AWS_ENDPOINT_URL", "http://sm.invalid:9")
                         .Set("LOCKSMITH_ALLOW_INSECURE_HTTP", "true")),
              IsOk());
  EXPECT_THAT(Create(ServerEnv().Set("AWS_ENDPOINT_URL", "http://sm.invalid:9")),
              HasErrorMessage(ErrorCode::kInvalidArgument, "LOCKSMITH_ALLOW_INSECURE_HTTP"));
}

}  // namespace
}  // namespace locksmith
