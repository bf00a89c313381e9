// The credential chain: each source (environment, shared files, web identity, container
// endpoint, IMDSv2 served by tests/servers/aws_server.py) and their order (refresh before
// expiry: aws_refresh_test.cc; IMDS's fallback: aws_imds_test.cc). Also endpoint/region
// resolution and the error mapping.
#include "providers/aws/aws_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_client.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "providers/aws/credentials/source.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::kAwsTestAccessKey;
using ::locksmith::testing::kAwsTestSecretKey;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// ------------------------------------------------------------ environment and files

TEST(AwsCredentialsJson, AFailureCodeIsQuotedOnlyWhenShapedLikeOne) {
  constexpr char kPlantedKey[] = "planted-secret-key-Hq2Zx9";
  auto with_code = [&](const std::string& code) {
    return "{\"Code\": \"" + code + "\", \"AccessKeyId\": \"AKIDEXAMPLE\", " +
           "\"SecretAccessKey\": \"" + kPlantedKey + "\"}";
  };
  EXPECT_THAT(internal::CredentialsFromJson(with_code("Throttled"), "container"),
              HasErrorMessage(ErrorCode::kUnauthenticated, "container reported code Throttled"));
  // A hostile endpoint's "code" holding the key, or text with spaces: not quoted.
  for (const std::string& code :
       {std::string("Bad-") + kPlantedKey, std::string("look at me\\u001b[31m")}) {
    auto creds = internal::CredentialsFromJson(with_code(code), "container");
    ASSERT_THAT(creds, HasError(ErrorCode::kUnauthenticated));
    EXPECT_THAT(creds.error().message, HasSubstr("reported a failure code"));
    EXPECT_THAT(creds.error().message, Not(HasSubstr(kPlantedKey)));
    EXPECT_THAT(creds.error().message, Not(HasSubstr("look at me")));
  }
}

TEST(AwsSharedFiles, NoDefaultFilesWithoutHome) {
  // No HOME: no default files at all, rather than ".aws/credentials" under the working directory.
  auto without = internal::ResolveSharedFiles(FakeEnv({}), "ops");
  EXPECT_EQ(without.credentials, "");
  EXPECT_EQ(without.config, "");
  EXPECT_EQ(without.profile, "ops");
  EXPECT_EQ(internal::ProfileValue(without, "region"), std::nullopt);
}

TEST(AwsEnvCredentials, ReadsKeysAndToken) {
  auto source = internal::MakeEnvCredentialSource(FakeEnv({{"AWS_ACCESS_KEY_ID", "AKID1"},
                                                           {"AWS_SECRET_ACCESS_KEY", "secret1"},
                                                           {"AWS_SESSION_TOKEN", "token1"}}));
  auto creds = source->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->access_key_id, "AKID1");
  EXPECT_TRUE(creds->secret_access_key.Equals("secret1"));
  ASSERT_TRUE(creds->session_token.has_value());
  EXPECT_TRUE(creds->session_token->Equals("token1"));
  EXPECT_EQ(creds->source, "environment");
}

TEST(AwsEnvCredentials, AbsentIsNotFoundAndHalfSetIsAnError) {
  EXPECT_THAT(internal::MakeEnvCredentialSource(FakeEnv({}))->Fetch(),
              HasError(ErrorCode::kNotFound));
  auto half = internal::MakeEnvCredentialSource(FakeEnv({{"AWS_ACCESS_KEY_ID", "AKID1"}}))->Fetch();
  EXPECT_THAT(half, HasError(ErrorCode::kUnauthenticated));
}

TEST(AwsIni, ParsesSectionsAndIgnoresComments) {
  auto ini = internal::ParseIniText(
      "# comment\n[default]\naws_access_key_id = AK\n; other\n[profile x]\nregion=eu-west-1\n"
      "s3 =\n  max_concurrent_requests = 10\n");
  ASSERT_THAT(ini, IsOk());
  EXPECT_EQ(ini->sections["default"]["aws_access_key_id"], "AK");
  EXPECT_EQ(ini->sections["profile x"]["region"], "eu-west-1");
  EXPECT_THAT(internal::ParseIniText("[broken\n"), HasError(ErrorCode::kInvalidArgument));
}

TEST(AwsSharedFiles, ProfileFromCredentialsThenConfig) {
  locksmith::testing::TempDir dir;
  WriteFile(dir.path() / "credentials",
            "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = default-secret\n"
            "[work]\naws_access_key_id = AKWORK\naws_secret_access_key = work-secret\n"
            "aws_session_token = work-token\n");
  WriteFile(dir.path() / "config",
            "[default]\nregion = us-east-1\n[profile work]\nregion = eu-central-1\n"
            "[profile cfgonly]\naws_access_key_id = AKCFG\naws_secret_access_key = cfg-secret\n");
  auto env = FakeEnv({{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
                      {"AWS_CONFIG_FILE", (dir.path() / "config").string()},
                      {"AWS_PROFILE", "work"}});
  auto files = internal::ResolveSharedFiles(env, "");
  EXPECT_EQ(files.profile, "work");
  EXPECT_EQ(internal::ProfileValue(files, "region"), "eu-central-1");
  auto creds =
      internal::MakeStaticProfileSource(files, internal::AwsProfileFile::kCredentials)->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->access_key_id, "AKWORK");
  EXPECT_TRUE(creds->session_token->Equals("work-token"));

  auto cfg = internal::MakeStaticProfileSource(internal::ResolveSharedFiles(env, "cfgonly"),
                                               internal::AwsProfileFile::kConfig);
  ASSERT_THAT(cfg->Fetch(), IsOk());
  EXPECT_EQ(cfg->Fetch()->access_key_id, "AKCFG");
  EXPECT_THAT(internal::MakeStaticProfileSource(internal::ResolveSharedFiles(env, "nobody"),
                                                internal::AwsProfileFile::kCredentials)
                  ->Fetch(),
              HasError(ErrorCode::kNotFound));
}

TEST(AwsSharedFiles, DefaultsUnderHome) {
  auto files = internal::ResolveSharedFiles(FakeEnv({{"HOME", "/home/app"}}), "");
  EXPECT_EQ(files.credentials, "/home/app/.aws/credentials");
  EXPECT_EQ(files.config, "/home/app/.aws/config");
  EXPECT_EQ(files.profile, "default");
}

// ------------------------------------------------------------ chain and refresh

class CountingSource : public internal::AwsCredentialSource {
 public:
  CountingSource(ErrorCode fail = ErrorCode::kNotFound, bool fails = false)
      : fail_(fail), fails_(fails) {}
  Result<internal::AwsCredentials> Fetch() override {
    ++fetches;
    if (fails_ || fail_next) {
      return MakeError(fail_next ? ErrorCode::kUnavailable : fail_, "no");
    }
    internal::AwsCredentials creds;
    creds.access_key_id = "AK" + std::to_string(fetches);
    creds.secret_access_key = SecretValue("s");
    creds.expiration = expiration;
    return creds;
  }
  std::string_view Name() const override { return "counting"; }
  int fetches = 0;
  bool fail_next = false;
  std::optional<std::chrono::system_clock::time_point> expiration;

 private:
  ErrorCode fail_;
  bool fails_;
};

TEST(AwsCredentialChain, FirstAnsweringSourceWinsAndIsKept) {
  auto first = std::make_unique<CountingSource>(ErrorCode::kNotFound, true);
  auto second = std::make_unique<CountingSource>();
  auto third = std::make_unique<CountingSource>();
  CountingSource* a = first.get();
  CountingSource* b = second.get();
  CountingSource* c = third.get();
  std::vector<internal::AwsCredentialSourcePtr> sources;
  sources.push_back(std::move(first));
  sources.push_back(std::move(second));
  sources.push_back(std::move(third));
  internal::AwsCredentialChain chain(std::move(sources));
  ASSERT_THAT(chain.Fetch(), IsOk());
  ASSERT_THAT(chain.Fetch(), IsOk());
  EXPECT_EQ(a->fetches, 1);
  EXPECT_EQ(b->fetches, 2);
  EXPECT_EQ(c->fetches, 0);
}

TEST(AwsCredentialChain, ConfiguredButFailingSourceStopsTheChain) {
  std::vector<internal::AwsCredentialSourcePtr> sources;
  sources.push_back(std::make_unique<CountingSource>(ErrorCode::kUnauthenticated, true));
  sources.push_back(std::make_unique<CountingSource>());
  internal::AwsCredentialChain chain(std::move(sources));
  EXPECT_THAT(chain.Fetch(), HasError(ErrorCode::kUnauthenticated));
}

TEST(AwsCredentialChain, NothingConfiguredIsUnauthenticated) {
  std::vector<internal::AwsCredentialSourcePtr> sources;
  sources.push_back(std::make_unique<CountingSource>(ErrorCode::kNotFound, true));
  internal::AwsCredentialChain chain(std::move(sources));
  EXPECT_THAT(chain.Fetch(), HasErrorMessage(ErrorCode::kUnauthenticated, "no AWS credentials"));
}

// ------------------------------------------------------------ network sources

class AwsNetworkCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    server_.SetClock(clock_.WallNow());
    auto http = internal::CreateCurlHttpClient({});
    ASSERT_THAT(http, IsOk());
    http_ = std::move(http).value();
  }
  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
  internal::HttpClientPtr http_;
};

TEST_F(AwsNetworkCredentialsTest, ContainerEndpointWithTokenOrTokenFile) {
  server_.Control("POST", "/_test/container", {{"token", "container-auth-token"}, {"ttl", 900}});
  const std::string uri = server_.url() + "/_test/container-credentials";
  auto with_token = internal::MakeContainerCredentialSource(
      FakeEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"}}),
      *http_);
  auto creds = with_token->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(*creds->expiration, clock_.WallNow() + 900s);
  EXPECT_TRUE(creds->session_token.has_value());

  locksmith::testing::TempDir dir;
  WriteFile(dir.path() / "token", "container-auth-token\n");
  auto with_file = internal::MakeContainerCredentialSource(
      FakeEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir.path() / "token").string()},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-set"}}),
      *http_);
  EXPECT_THAT(with_file->Fetch(), IsOk());

  auto wrong = internal::MakeContainerCredentialSource(
      FakeEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
               {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}}),
      *http_);
  EXPECT_THAT(wrong->Fetch(), HasError(ErrorCode::kUnauthenticated));

  auto remote = internal::MakeContainerCredentialSource(
      FakeEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}}), *http_);
  EXPECT_THAT(remote->Fetch(), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::MakeContainerCredentialSource(FakeEnv({}), *http_)->Fetch(),
              HasError(ErrorCode::kNotFound));
}

TEST_F(AwsNetworkCredentialsTest, ImdsV2) {
  auto env = FakeEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}});
  auto creds = internal::MakeImdsCredentialSource(env, *http_)->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  EXPECT_EQ(creds->source, "imds");

  auto disabled = FakeEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()},
                           {"AWS_EC2_METADATA_DISABLED", "true"}});
  EXPECT_THAT(internal::MakeImdsCredentialSource(disabled, *http_)->Fetch(),
              HasError(ErrorCode::kNotFound));
  // Nothing listening: not on EC2.
  auto nowhere = FakeEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
  EXPECT_THAT(internal::MakeImdsCredentialSource(nowhere, *http_)->Fetch(),
              HasError(ErrorCode::kNotFound));
  server_.Control("POST", "/_test/imds", {{"role", ""}});
  EXPECT_THAT(internal::MakeImdsCredentialSource(env, *http_)->Fetch(),
              HasError(ErrorCode::kNotFound));
}

TEST_F(AwsNetworkCredentialsTest, WebIdentityThroughSts) {
  server_.Control("POST", "/_test/web-identity", {{"token", "eyJ.web-identity.jwt"}});
  locksmith::testing::TempDir dir;
  WriteFile(dir.path() / "jwt", "eyJ.web-identity.jwt");
  auto env = FakeEnv({{"AWS_WEB_IDENTITY_TOKEN_FILE", (dir.path() / "jwt").string()},
                      {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app"},
                      {"AWS_ENDPOINT_URL_STS", server_.url()}});
  auto creds =
      internal::MakeWebIdentityCredentialSource(env, "eu-west-1", {}, *http_, clock_)->Fetch();
  ASSERT_THAT(creds, IsOk());
  EXPECT_TRUE(creds->access_key_id.starts_with("ASIA"));
  EXPECT_EQ(creds->expiration, clock_.WallNow() + 3600s);

  WriteFile(dir.path() / "jwt", "eyJ.stale");
  auto rejected =
      internal::MakeWebIdentityCredentialSource(env, "eu-west-1", {}, *http_, clock_)->Fetch();
  EXPECT_THAT(rejected, HasErrorMessage(ErrorCode::kUnauthenticated, "InvalidIdentityToken"));
  EXPECT_THAT(rejected.error().message, Not(HasSubstr("eyJ")));
}

// ------------------------------------------------------------ the whole chain, end to end

class AwsChainEndToEndTest : public AwsNetworkCredentialsTest {
 protected:
  // A provider built by CreateAwsProvider from `vars` reads secret "k" written with the
  // default test key.
  void ExpectReads(std::map<std::string, std::string> vars) {
    AwsOptions writer_options;
    writer_options.region = "eu-west-1";
    writer_options.endpoint_url = server_.url();
    auto writer = CreateAwsProvider(writer_options,
                                    FakeEnv({{"AWS_ACCESS_KEY_ID", kAwsTestAccessKey},
                                             {"AWS_SECRET_ACCESS_KEY", kAwsTestSecretKey}}),
                                    clock_, random_);
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT((*writer)->Put("k", SecretValue("chain-value"), Stage::kCurrent), IsOk());

    vars.emplace("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    auto env = FakeEnv(vars);
    auto options = AwsOptionsFromEnv(env);
    ASSERT_THAT(options, IsOk());
    auto provider = CreateAwsProvider(*options, env, clock_, random_);
    ASSERT_THAT(provider, IsOk());
    auto got = (*provider)->Get("k", VersionSelector::Current());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.Equals("chain-value"));
  }
};

TEST_F(AwsChainEndToEndTest, Environment) {
  ExpectReads({{"AWS_REGION", "eu-west-1"},
               {"AWS_ENDPOINT_URL", server_.url()},
               {"AWS_ACCESS_KEY_ID", kAwsTestAccessKey},
               {"AWS_SECRET_ACCESS_KEY", kAwsTestSecretKey}});
}

TEST_F(AwsChainEndToEndTest, ProfileFilesWithRegionFromConfig) {
  locksmith::testing::TempDir dir;
  WriteFile(dir.path() / "credentials",
            std::string("[app]\naws_access_key_id = ") + kAwsTestAccessKey +
                "\naws_secret_access_key = " + kAwsTestSecretKey + "\n");
  WriteFile(dir.path() / "config", "[profile app]\nregion = ap-south-1\n");
  ExpectReads({{"AWS_PROFILE", "app"},
               {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
               {"AWS_CONFIG_FILE", (dir.path() / "config").string()},
               {"AWS_ENDPOINT_URL_SECRETS_MANAGER", server_.url()},
               {"AWS_ENDPOINT_URL", "http://127.0.0.1:9"}});  // the specific one wins
}

TEST_F(AwsChainEndToEndTest, ContainerEndpoint) {
  server_.Control("POST", "/_test/container", {{"token", "tok"}});
  ExpectReads(
      {{"AWS_REGION", "eu-west-1"},
       {"AWS_ENDPOINT_URL", server_.url()},
       {"HOME", "/nonexistent"},
       {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/_test/container-credentials"},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"}});
}

TEST_F(AwsChainEndToEndTest, WebIdentity) {
  server_.Control("POST", "/_test/web-identity", {{"token", "jwt-for-chain"}});
  locksmith::testing::TempDir dir;
  WriteFile(dir.path() / "jwt", "jwt-for-chain");
  ExpectReads({{"AWS_REGION", "eu-west-1"},
               {"AWS_ENDPOINT_URL", server_.url()},
               {"HOME", "/nonexistent"},
               {"AWS_WEB_IDENTITY_TOKEN_FILE", (dir.path() / "jwt").string()},
               {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app"}});
}

TEST_F(AwsChainEndToEndTest, NoCredentialsAnywhere) {
  auto env = FakeEnv({{"AWS_REGION", "eu-west-1"},
                      {"AWS_ENDPOINT_URL", server_.url()},
                      {"HOME", "/nonexistent"},
                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
  auto provider = CreateAwsProvider(*AwsOptionsFromEnv(env), env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->Get("k", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kUnauthenticated, "no AWS credentials"));
}

// ------------------------------------------------------------ endpoint, region, errors

TEST(AwsEndpoint, RegionalFipsChinaAndOverride) {
  EXPECT_EQ(*internal::ResolveSecretsManagerEndpoint("", "eu-west-1", {}),
            "https://secretsmanager.eu-west-1.amazonaws.com");
  EXPECT_EQ(*internal::ResolveSecretsManagerEndpoint("", "us-gov-west-1", {.fips = true}),
            "https://secretsmanager-fips.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(*internal::ResolveSecretsManagerEndpoint("", "cn-north-1", {}),
            "https://secretsmanager.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(*internal::ResolveSecretsManagerEndpoint("http://127.0.0.1:4566/", "x", {.fips = true}),
            "http://127.0.0.1:4566");
  EXPECT_THAT(internal::ResolveSecretsManagerEndpoint("", "", {}),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::ResolveSecretsManagerEndpoint("", "eu west", {}),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::ResolveSecretsManagerEndpoint("ftp://x", "eu-west-1", {}),
              HasError(ErrorCode::kInvalidArgument));
}

TEST(AwsOptionsFromEnv, MapsVariables) {
  auto options = AwsOptionsFromEnv(FakeEnv({{"AWS_DEFAULT_REGION", "us-west-2"},
                                            {"AWS_ENDPOINT_URL", "http://a"},
                                            {"AWS_USE_FIPS_ENDPOINT", "TRUE"},
                                            {"AWS_SECRETS_PREFIX", "agentauri-backend/production"},
                                            {"AWS_PROFILE", "p"}}));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->region, "us-west-2");
  EXPECT_EQ(options->endpoint_url, "http://a");
  EXPECT_TRUE(options->use_fips);
  EXPECT_EQ(options->prefix, "agentauri-backend/production");
  EXPECT_EQ(options->profile, "p");
  auto both = AwsOptionsFromEnv(FakeEnv({{"AWS_REGION", "eu-west-1"},
                                         {"AWS_DEFAULT_REGION", "us-west-2"},
                                         {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm"},
                                         {"AWS_ENDPOINT_URL", "http://a"}}));
  EXPECT_EQ(both->region, "eu-west-1");
  EXPECT_EQ(both->endpoint_url, "http://sm");
  EXPECT_THAT(AwsOptionsFromEnv(FakeEnv({{"AWS_USE_FIPS_ENDPOINT", "yes"}})),
              HasError(ErrorCode::kInvalidArgument));
}

TEST(AwsCreateProvider, NeedsARegion) {
  locksmith::testing::FakeClock clock;
  locksmith::testing::FakeRandom random;
  EXPECT_THAT(CreateAwsProvider(AwsOptions{}, FakeEnv({{"HOME", "/nonexistent"}}), clock, random),
              HasError(ErrorCode::kInvalidArgument));
}

internal::HttpResponse Answer(int status, std::string body, std::string header = {}) {
  internal::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  if (!header.empty()) {
    response.headers.emplace("X-Amzn-Errortype", header);
  }
  return response;
}

TEST(AwsErrors, TypeFromBodyOrHeaderWithNamespaceStripped) {
  EXPECT_EQ(internal::AwsErrorType(Answer(
                400, R"({"__type":"com.amazon.coral.service#UnrecognizedClientException"})")),
            "UnrecognizedClientException");
  EXPECT_EQ(internal::AwsErrorType(Answer(
                400, "", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral/")),
            "ThrottlingException");
  EXPECT_EQ(internal::AwsErrorType(Answer(500, "<html/>")), "");
}

TEST(AwsErrors, Mapping) {
  struct Case {
    int status;
    const char* type;
    ErrorCode code;
  };
  for (const Case& c : {
           Case{400, "ThrottlingException", ErrorCode::kThrottled},
           Case{400, "TooManyRequestsException", ErrorCode::kThrottled},
           Case{400, "RequestLimitExceeded", ErrorCode::kThrottled},
           Case{429, "", ErrorCode::kThrottled},
           Case{500, "InternalServiceError", ErrorCode::kUnavailable},
           Case{503, "", ErrorCode::kUnavailable},
           Case{400, "InvalidSignatureException", ErrorCode::kUnauthenticated},
           Case{403, "SignatureDoesNotMatch", ErrorCode::kUnauthenticated},
           Case{400, "IncompleteSignature", ErrorCode::kUnauthenticated},
           Case{400, "UnrecognizedClientException", ErrorCode::kUnauthenticated},
           Case{403, "InvalidClientTokenId", ErrorCode::kUnauthenticated},
           Case{400, "ExpiredTokenException", ErrorCode::kUnauthenticated},
           Case{400, "ExpiredToken", ErrorCode::kUnauthenticated},
           Case{400, "AccessDeniedException", ErrorCode::kPermissionDenied},
           Case{400, "ResourceNotFoundException", ErrorCode::kNotFound},
           Case{400, "ResourceExistsException", ErrorCode::kAlreadyExists},
           Case{400, "InvalidParameterException", ErrorCode::kInvalidArgument},
           Case{400, "InvalidRequestException", ErrorCode::kFailedPrecondition},
           Case{400, "DecryptionFailure", ErrorCode::kDataLoss},
       }) {
    SCOPED_TRACE(c.type);
    std::string body = std::string(R"({"__type":")") + c.type + R"(","message":"m"})";
    Error error = internal::AwsError(Answer(c.status, body), "reading 'x'",
                                     internal::BackendText::kScrubbed, {});
    EXPECT_EQ(error.code, c.code);
    EXPECT_THAT(error.message, HasSubstr("reading 'x'"));
  }
  // Never retried: not-found, permission, parameter, decryption.
  EXPECT_FALSE(IsRetryable(ErrorCode::kNotFound));
  EXPECT_FALSE(IsRetryable(ErrorCode::kPermissionDenied));
  EXPECT_FALSE(IsRetryable(ErrorCode::kInvalidArgument));
  EXPECT_FALSE(IsRetryable(ErrorCode::kDataLoss));
  EXPECT_TRUE(IsRetryable(ErrorCode::kThrottled));
}

TEST(AwsErrors, MessageFromEitherCaseAndScrubbed) {
  Error upper = internal::AwsError(
      Answer(400, R"({"__type":"ResourceNotFoundException","Message":"can't find it"})"), "w",
      internal::BackendText::kScrubbed, {});
  EXPECT_THAT(upper.message, HasSubstr("can't find it"));
  const std::string_view secrets[] = {"token-XYZ-123"};
  Error scrubbed = internal::AwsError(
      Answer(403, R"({"__type":"SignatureDoesNotMatch","message":"canonical had token-XYZ-123"})"),
      "w", internal::BackendText::kScrubbed, secrets);
  EXPECT_THAT(scrubbed.message, Not(HasSubstr("token-XYZ-123")));
  EXPECT_THAT(scrubbed.message, HasSubstr("***"));
}

// A write's error says what failed and how (status, type), never what AWS said about it.
TEST(AwsErrors, WriteErrorsOmitTheMessageAndATypeThatHoldsTheValue) {
  const std::string_view values[] = {"the-value-written"};
  Error omitted = internal::AwsError(
      Answer(400, R"({"__type":"ValidationException","Message":"Value 'x' is invalid"})"), "w",
      internal::BackendText::kOmit, values);
  EXPECT_EQ(omitted.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(omitted.message, "w: AWS answered HTTP 400 ValidationException");
  Error odd_type = internal::AwsError(Answer(400, R"({"__type":"Bad_the-value-written"})"), "w",
                                      internal::BackendText::kOmit, values);
  EXPECT_EQ(odd_type.message, "w: AWS answered HTTP 400");
}

}  // namespace
}  // namespace locksmith
