// Shared-config profiles beyond static keys, against tests/servers/aws_server.py: role_arn with
// source_profile or credential_source (STS AssumeRole, chained roles, cycles, refusals, refresh
// before expiry), credential_process (answer, failures, size and time limits), SSO refused by
// name, and botocore's chain order. The chain-level tests build the chain as the provider does
// (MakeDefaultCredentialChain), so they also ran against the code before these profile kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "core/shell_words.h"
#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
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

constexpr char kRole[] = "arn:aws:iam::123456789012:role/locksmith-reader";

EnvLookup ProfileKindsEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

void WriteProfileFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string StaticKeys() {
  return std::string("aws_access_key_id = ") + kAwsTestAccessKey +
         "\naws_secret_access_key = " + kAwsTestSecretKey + "\n";
}

class AwsProfileKindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    server_.SetClock(clock_.WallNow());
    auto http = internal::CreateCurlHttpClient({});
    ASSERT_THAT(http, IsOk());
    http_ = std::move(http).value();
  }

  // The variables of a chain reading profile `profile` of config file `config` (and credentials
  // file `credentials`), with STS and IMDS on the test server / nowhere.
  std::map<std::string, std::string> Vars(const std::string& profile, const std::string& config,
                                          const std::string& credentials = "") {
    WriteProfileFile(dir_.path() / "config", config);
    WriteProfileFile(dir_.path() / "credentials", credentials);
    return {{"AWS_PROFILE", profile},
            {"AWS_CONFIG_FILE", (dir_.path() / "config").string()},
            {"AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "credentials").string()},
            {"AWS_REGION", "eu-west-1"},
            {"AWS_ENDPOINT_URL", server_.url()},
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}};
  }

  internal::AwsCredentialSourcePtr Chain(const std::map<std::string, std::string>& vars) {
    auto env = ProfileKindsEnv(vars);
    return internal::MakeDefaultCredentialChain(env, internal::ResolveSharedFiles(env, ""),
                                                "eu-west-1", {}, *http_, *http_, clock_);
  }

  Result<internal::AwsCredentials> Fetch(const std::map<std::string, std::string>& vars) {
    return Chain(vars)->Fetch();
  }

  nlohmann::json Calls() { return server_.Control("GET", "/_test/assume-role")["calls"]; }

  // A python script `name` in the temp dir; the credential_process line that runs it.
  std::string Script(const std::string& name, const std::string& body) {
    WriteProfileFile(dir_.path() / name, body);
    return "credential_process = /usr/bin/python3 \"" + (dir_.path() / name).string() + "\"\n";
  }

  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
  internal::HttpClientPtr http_;
  locksmith::testing::TempDir dir_;
};

// ------------------------------------------------------------ role_arn

TEST_F(AwsProfileKindsTest, AssumeRoleWithSourceProfileReadsSecrets) {
  auto vars = Vars("app", std::string("[profile base]\n") + StaticKeys() +
                              "[profile app]\nrole_arn = " + kRole +
                              "\nsource_profile = base\nrole_session_name = app-session\n"
                              "external_id = ext-7\nduration_seconds = 1800\n");
  // The provider, built as SecretsManager::FromEnv builds it, signs with the assumed role.
  AwsOptions writer_options;
  writer_options.region = "eu-west-1";
  writer_options.endpoint_url = server_.url();
  auto writer = CreateAwsProvider(writer_options,
                                  ProfileKindsEnv({{"AWS_ACCESS_KEY_ID", kAwsTestAccessKey},
                                                   {"AWS_SECRET_ACCESS_KEY", kAwsTestSecretKey}}),
                                  clock_, random_);
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT((*writer)->Put("k", SecretValue("role-value"), Stage::kCurrent), IsOk());
  auto env = ProfileKindsEnv(vars);
  auto provider = CreateAwsProvider(*AwsOptionsFromEnv(env), env, clock_, random_);
  ASSERT_THAT(provider, IsOk());
  auto got = (*provider)->Get("k", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("role-value"));

  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["RoleArn"], kRole);
  EXPECT_EQ(calls[0]["RoleSessionName"], "app-session");
  EXPECT_EQ(calls[0]["ExternalId"], "ext-7");
  EXPECT_EQ(calls[0]["DurationSeconds"], 1800);
  EXPECT_EQ(calls[0]["Caller"], kAwsTestAccessKey);
  auto creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "assume role app");
  EXPECT_EQ(creds->expiration, clock_.WallNow() + 1800s);
}

TEST_F(AwsProfileKindsTest, ChainedRolesSignWithThePreviousRole) {
  auto vars = Vars("second",
                   std::string("[profile first]\nrole_arn = ") + kRole +
                       "\nsource_profile = base\n[profile second]\nrole_arn = " + kRole +
                       "-second\nsource_profile = first\n",
                   std::string("[base]\n") + StaticKeys());
  auto creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["RoleArn"], kRole);
  EXPECT_EQ(calls[0]["Caller"], kAwsTestAccessKey);
  EXPECT_EQ(calls[1]["RoleArn"], std::string(kRole) + "-second");
  EXPECT_TRUE(calls[1]["Caller"].get<std::string>().starts_with("ASIA"));
}

TEST_F(AwsProfileKindsTest, AProfileMayUseItsOwnKeysAsSource) {
  auto vars = Vars("self", std::string("[profile self]\nrole_arn = ") + kRole +
                               "\nsource_profile = self\n" + StaticKeys());
  ASSERT_THAT(Fetch(vars), IsOk());
  EXPECT_EQ(Calls()[0]["Caller"], kAwsTestAccessKey);
}

TEST_F(AwsProfileKindsTest, CyclesAndDeepChainsAreConfigurationErrors) {
  auto cycle = Fetch(Vars("a", std::string("[profile a]\nrole_arn = ") + kRole +
                                   "\nsource_profile = b\n[profile b]\nrole_arn = " + kRole +
                                   "\nsource_profile = a\n"));
  EXPECT_THAT(cycle, HasErrorMessage(ErrorCode::kInvalidArgument, "a -> b -> a"));
  EXPECT_THAT(
      Fetch(Vars("a", std::string("[profile a]\nrole_arn = ") + kRole + "\nsource_profile = a\n")),
      HasErrorMessage(ErrorCode::kInvalidArgument, "loop"));
  std::string deep;
  for (int i = 0; i < 10; ++i) {
    deep += "[profile p" + std::to_string(i) + "]\nrole_arn = " + kRole + "\nsource_profile = p" +
            std::to_string(i + 1) + "\n";
  }
  deep += "[profile p10]\n" + StaticKeys();
  EXPECT_THAT(Fetch(Vars("p0", deep)), HasErrorMessage(ErrorCode::kInvalidArgument, "chains more"));
  EXPECT_TRUE(Calls().empty());  // nothing was assumed
}

TEST_F(AwsProfileKindsTest, BadRoleProfilesNameWhatToFix) {
  const std::string role = std::string("role_arn = ") + kRole + "\n";
  struct Case {
    std::string profile_body;
    std::string expected;
  };
  for (const Case& c : {
           Case{role, "neither source_profile nor credential_source"},
           Case{role + "source_profile = base\ncredential_source = Environment\n", "both"},
           Case{role + "credential_source = Keychain\n", "credential_source 'Keychain'"},
           Case{role + "source_profile = nobody\n", "source_profile 'nobody'"},
           Case{role + "source_profile = empty\n", "has no credentials"},
           Case{role + "source_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\n", "mfa_serial"},
           Case{role + "source_profile = base\nduration_seconds = 60\n", "duration_seconds"},
       }) {
    auto creds = Fetch(Vars("bad", "[profile base]\n" + StaticKeys() +
                                       "[profile empty]\nregion = eu-west-1\n[profile bad]\n" +
                                       c.profile_body));
    EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kInvalidArgument, c.expected)) << c.expected;
    ASSERT_FALSE(creds.ok());
    EXPECT_THAT(creds.error().message, HasSubstr("'bad'")) << c.expected;
    EXPECT_THAT(creds.error().message, Not(HasSubstr(kAwsTestSecretKey)));
  }
  EXPECT_TRUE(Calls().empty());
}

TEST_F(AwsProfileKindsTest, StsRefusalIsClearKeepsNothingAndHoldsNoKey) {
  server_.Control("POST", "/_test/assume-role", {{"denied", {kRole}}});
  auto vars = Vars("app", std::string("[profile base]\n") + StaticKeys() +
                              "[profile app]\nrole_arn = " + kRole + "\nsource_profile = base\n");
  auto env = ProfileKindsEnv(vars);
  internal::RefreshingCredentials creds(
      internal::MakeDefaultCredentialChain(env, internal::ResolveSharedFiles(env, ""), "eu-west-1",
                                           {}, *http_, *http_, clock_),
      clock_);
  auto denied = creds.Get();
  ASSERT_THAT(denied, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(denied.error().message, HasSubstr("'app'"));
  EXPECT_THAT(denied.error().message, HasSubstr("AccessDenied"));
  EXPECT_THAT(denied.error().message, HasSubstr(kRole));
  EXPECT_THAT(denied.error().message, Not(HasSubstr(kAwsTestSecretKey)));
  // Nothing kept: once the role's trust policy allows it, the next call assumes it.
  server_.Control("POST", "/_test/assume-role", {{"denied", nlohmann::json::array()}});
  EXPECT_THAT(creds.Get(), IsOk());

  // STS's own validation (DurationSeconds over the role's maximum) is a setting to fix.
  auto long_session =
      Fetch(Vars("app", std::string("[profile base]\n") + StaticKeys() + "[profile app]\n" +
                            "role_arn = " + kRole + "\nsource_profile = base\n" +
                            "duration_seconds = 7200\n"));
  EXPECT_THAT(long_session, HasErrorMessage(ErrorCode::kInvalidArgument, "MaxSessionDuration"));
}

TEST_F(AwsProfileKindsTest, AssumedCredentialsAreRefreshedBeforeExpiry) {
  auto vars = Vars("app", std::string("[profile base]\n") + StaticKeys() +
                              "[profile app]\nrole_arn = " + kRole + "\nsource_profile = base\n");
  auto env = ProfileKindsEnv(vars);
  internal::RefreshingCredentials creds(
      internal::MakeDefaultCredentialChain(env, internal::ResolveSharedFiles(env, ""), "eu-west-1",
                                           {}, *http_, *http_, clock_),
      clock_);
  auto first = creds.Get();
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(Calls().size(), 1u);
  clock_.Advance(1500s);
  server_.AdvanceClock(1500s);
  ASSERT_THAT(creds.Get(), IsOk());
  EXPECT_EQ(Calls().size(), 1u);  // 35 minutes left: kept
  clock_.Advance(2090s);
  server_.AdvanceClock(2090s);
  auto second = creds.Get();  // 10 seconds left: assumed again, before they expire
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(Calls().size(), 2u);
  EXPECT_NE(second->access_key_id, first->access_key_id);
  EXPECT_EQ(second->expiration, clock_.WallNow() + 3600s);
}

TEST_F(AwsProfileKindsTest, CredentialSourceUsesTheContainerEndpoint) {
  server_.Control("POST", "/_test/container", {{"token", "tok"}});
  auto vars = Vars("ecs", std::string("[profile ecs]\nrole_arn = ") + kRole +
                              "\ncredential_source = EcsContainer\n");
  vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.url() + "/_test/container-credentials";
  vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "tok";
  auto creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "assume role ecs");  // the role, not the container's own credentials
  EXPECT_TRUE(Calls()[0]["Caller"].get<std::string>().starts_with("ASIA"));

  // Environment as the source, with nothing in the environment: a failure, not a skip.
  auto none = Fetch(Vars("envsrc", std::string("[profile envsrc]\nrole_arn = ") + kRole +
                                       "\ncredential_source = Environment\n"));
  EXPECT_THAT(none, HasErrorMessage(ErrorCode::kUnauthenticated, "credential_source Environment"));
}

// ------------------------------------------------------------ credential_process

TEST_F(AwsProfileKindsTest, CredentialProcessAnswer) {
  const std::string script = Script(
      "creds.py", std::string("import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': '") +
                      kAwsTestAccessKey + "', 'SecretAccessKey': '" + kAwsTestSecretKey +
                      "', 'SessionToken': 'proc-token', "
                      "'Expiration': '2030-01-02T03:04:05Z'}))\n");
  auto creds = Fetch(Vars("proc", "[profile proc]\n" + script));
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->access_key_id, kAwsTestAccessKey);
  EXPECT_TRUE(creds->secret_access_key.Equals(kAwsTestSecretKey));
  ASSERT_TRUE(creds->session_token.has_value());
  EXPECT_TRUE(creds->session_token->Equals("proc-token"));
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(creds->source, "credential_process proc");
}

TEST_F(AwsProfileKindsTest, CredentialProcessFailuresAreClearAndHoldNoKey) {
  const std::string leaked = std::string(kAwsTestSecretKey) + "9";
  struct Case {
    std::string body;
    ErrorCode code;
    std::string expected;
  };
  for (const Case& c : {
           Case{"import sys\nsys.stderr.write('session expired, run login; key " + leaked +
                    " AKIAIOSFODNN7EXAMPLE\\n')\nsys.exit(3)\n",
                ErrorCode::kUnauthenticated, "exited with status 3: session expired, run login"},
           Case{"print('not json " + leaked + "')\n", ErrorCode::kUnauthenticated,
                "did not print a JSON object"},
           Case{"import json\nprint(json.dumps({'Version': 2, 'AccessKeyId': 'AK', "
                "'SecretAccessKey': '" +
                    leaked + "'}))\n",
                ErrorCode::kUnauthenticated, "unsupported Version"},
           Case{"import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AK'}))\n",
                ErrorCode::kUnauthenticated, "no SecretAccessKey"},
           Case{"import sys\nsys.stdout.write('x' * (1 << 20))\n", ErrorCode::kDataLoss,
                "more than"},
       }) {
    auto creds = Fetch(Vars("proc", "[profile proc]\n" + Script("p.py", c.body)));
    EXPECT_THAT(creds, HasErrorMessage(c.code, c.expected)) << c.expected;
    ASSERT_FALSE(creds.ok());
    EXPECT_THAT(creds.error().message, HasSubstr("profile 'proc'"));
    EXPECT_THAT(creds.error().message, Not(HasSubstr(kAwsTestSecretKey)));
    EXPECT_THAT(creds.error().message, Not(HasSubstr("AKIAIOSFODNN7EXAMPLE")));
  }
  EXPECT_THAT(Fetch(Vars("proc", "[profile proc]\ncredential_process = \"unclosed\n")),
              HasErrorMessage(ErrorCode::kInvalidArgument, "no closing quotation"));
  EXPECT_THAT(Fetch(Vars("proc", "[profile proc]\ncredential_process = /nonexistent/helper\n")),
              HasErrorMessage(ErrorCode::kInvalidArgument, "cannot run '/nonexistent/helper'"));
}

TEST_F(AwsProfileKindsTest, CredentialProcessIsKilledAfterItsTimeout) {
  WriteProfileFile(dir_.path() / "config",
                   "[profile slow]\n" + Script("slow.py", "import time\ntime.sleep(60)\n"));
  internal::AwsSharedFiles files;
  files.config = dir_.path() / "config";
  files.profile = "slow";
  internal::SubprocessLimits limits;
  limits.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  auto creds = internal::MakeProcessCredentialSource(files, limits)->Fetch();
  EXPECT_THAT(creds, HasErrorMessage(ErrorCode::kDeadlineExceeded, "did not finish within 300"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);  // not the script's 60 s
}

TEST(AwsShellWords, SplitAsShlexDoes) {
  auto split = [](std::string_view line) { return *internal::SplitShellWords(line); };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("a b\tc"), (V{"a", "b", "c"}));
  EXPECT_EQ(split("a \"b c\" d"), (V{"a", "b c", "d"}));
  EXPECT_EQ(split("a 'b\\c'"), (V{"a", "b\\c"}));
  EXPECT_EQ(split("a \"x\\\"y\\\\z\\n\""), (V{"a", "x\"y\\z\\n"}));
  EXPECT_EQ(split("a\\ b"), (V{"a b"}));
  EXPECT_EQ(split("\"\""), (V{""}));
  EXPECT_EQ(split("x;y|z $HOME"), (V{"x;y|z", "$HOME"}));  // no shell: nothing expands
  EXPECT_THAT(internal::SplitShellWords("'open"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::SplitShellWords("end\\"), HasError(ErrorCode::kInvalidArgument));
}

// ------------------------------------------------------------ SSO and the chain order

TEST_F(AwsProfileKindsTest, SsoProfilesAreRefusedByName) {
  auto sso = Fetch(Vars("corp-sso",
                        "[profile corp-sso]\nsso_start_url = https://corp.awsapps.com/start\n"
                        "sso_region = eu-west-1\nsso_account_id = 123456789012\n"
                        "sso_role_name = Reader\n"));
  EXPECT_THAT(sso, HasErrorMessage(ErrorCode::kInvalidArgument, "'corp-sso'"));
  EXPECT_THAT(sso.error().message, HasSubstr("IAM Identity Center"));
  auto session = Fetch(Vars("s",
                            "[profile s]\nsso_session = corp\n[sso-session corp]\n"
                            "sso_start_url = https://corp.awsapps.com/start\n"));
  EXPECT_THAT(session, HasErrorMessage(ErrorCode::kInvalidArgument, "'s'"));
  // As the source of a role, too.
  auto source = Fetch(Vars("r", std::string("[profile r]\nrole_arn = ") + kRole +
                                    "\nsource_profile = corp-sso\n[profile corp-sso]\n"
                                    "sso_session = corp\n"));
  EXPECT_THAT(source, HasErrorMessage(ErrorCode::kInvalidArgument, "'corp-sso'"));
}

TEST_F(AwsProfileKindsTest, ChainOrderIsBotocores) {
  server_.Control("POST", "/_test/web-identity", {{"token", "jwt-order"}});
  WriteProfileFile(dir_.path() / "jwt", "jwt-order");
  const std::string role = std::string("role_arn = ") + kRole + "\nsource_profile = base\n";
  const std::string keys = std::string("[base]\n") + StaticKeys();

  // Web identity (environment) beats the credentials file's keys.
  auto vars = Vars("app", "", keys + "[app]\n" + StaticKeys());
  vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_.path() / "jwt").string();
  vars["AWS_ROLE_ARN"] = kRole;
  auto creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "web identity");

  // The profile's role beats web identity.
  vars = Vars("app", "[profile app]\n" + role, keys);
  vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_.path() / "jwt").string();
  vars["AWS_ROLE_ARN"] = kRole;
  creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "assume role app");

  // The environment beats the profile's role.
  vars["AWS_ACCESS_KEY_ID"] = kAwsTestAccessKey;
  vars["AWS_SECRET_ACCESS_KEY"] = kAwsTestSecretKey;
  creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "environment");

  // A profile's web_identity_token_file is web identity's, not a role for AssumeRole.
  vars = Vars("wi", "[profile wi]\nrole_arn = " + std::string(kRole) +
                        "\nweb_identity_token_file = " + (dir_.path() / "jwt").string() + "\n");
  creds = Fetch(vars);
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->source, "web identity");

  // Credentials file keys, then credential_process, then config file keys.
  const std::string process =
      Script("order.py", std::string("import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': "
                                     "'AKIDPROCESS', 'SecretAccessKey': 'process-secret'}))\n"));
  creds = Fetch(Vars("p",
                     "[profile p]\n" + process + "aws_access_key_id = AKIDCONFIG\n" +
                         "aws_secret_access_key = config-secret\n",
                     "[p]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = s\n"));
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->access_key_id, "AKIDCREDFILE");
  creds = Fetch(Vars("p", "[profile p]\n" + process + "aws_access_key_id = AKIDCONFIG\n" +
                              "aws_secret_access_key = config-secret\n"));
  ASSERT_THAT(creds, IsOk());
  EXPECT_EQ(creds->access_key_id, "AKIDPROCESS");
}

TEST(AwsStsEndpoint, SpecificThenGeneralThenThePartitionTable) {
  auto url = [](const std::map<std::string, std::string>& vars, std::string_view region,
                internal::AwsEndpointFlags flags = {}) {
    auto endpoint = internal::StsEndpoint(ProfileKindsEnv(vars), region, flags);
    return endpoint.ok() ? endpoint->url + " " + endpoint->signing_region
                         : "error: " + endpoint.error().message;
  };
  EXPECT_EQ(url({}, "eu-west-1"), "https://sts.eu-west-1.amazonaws.com eu-west-1");
  EXPECT_EQ(url({}, "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn cn-north-1");
  EXPECT_EQ(url({}, "us-east-1", {.fips = true}),
            "https://sts-fips.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url({{"AWS_ENDPOINT_URL", "http://a/"}}, "x"), "http://a x");
  EXPECT_EQ(url({{"AWS_ENDPOINT_URL", "http://a"}, {"AWS_ENDPOINT_URL_STS", "http://sts"}}, "x"),
            "http://sts x");
}

}  // namespace
}  // namespace locksmith
