// Endpoints per partition: the built-in table equals botocore's partitions.json
// (tests/data/aws_endpoints), and every URL equals what botocore's own rule-set resolver computes
// (Debian python3-botocore run by tests/providers/aws/aws_botocore_endpoints.py) for every region
// botocore lists x FIPS x dual-stack, for Secrets Manager and STS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_client.h"
#include "providers/aws/credentials/web_identity.h"
#include "providers/aws/endpoints.h"
#include "support/source_path.h"
#include "support/temp_dir.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;

std::string ResolvedEndpointUrl(AwsService service, std::string_view region, bool fips = false,
                                bool dual_stack = false) {
  auto endpoint = ResolveAwsEndpoint(service, region, {fips, dual_stack});
  return endpoint.ok() ? endpoint->url : "error: " + endpoint.error().message;
}

// The cases the issue names, spelled out (values from the rule sets with partitions.json's
// suffixes; the table test below checks them against botocore itself).
TEST(AwsEndpointsTest, PartitionsOutsideTheCommercialOne) {
  constexpr auto kSts = AwsService::kSts;
  constexpr auto kSm = AwsService::kSecretsManager;
  EXPECT_EQ(ResolvedEndpointUrl(kSts, "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "cn-north-1"),
            "https://secretsmanager.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "eusc-de-east-1"),
            "https://secretsmanager.eusc-de-east-1.amazonaws.eu");
  EXPECT_EQ(ResolvedEndpointUrl(kSts, "eusc-de-east-1"), "https://sts.eusc-de-east-1.amazonaws.eu");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "us-iso-east-1"),
            "https://secretsmanager.us-iso-east-1.c2s.ic.gov");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "us-isob-east-1"),
            "https://secretsmanager.us-isob-east-1.sc2s.sgov.gov");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "eu-isoe-west-1"),
            "https://secretsmanager.eu-isoe-west-1.cloud.adc-e.uk");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "us-isof-south-1"),
            "https://secretsmanager.us-isof-south-1.csp.hci.ic.gov");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "eu-west-1"),
            "https://secretsmanager.eu-west-1.amazonaws.com");
  // A region no partition claims is in "aws", as botocore's aws.partition falls back.
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "xx-unknown-1"),
            "https://secretsmanager.xx-unknown-1.amazonaws.com");
}

TEST(AwsEndpointsTest, FipsAndDualStackVariants) {
  constexpr auto kSts = AwsService::kSts;
  constexpr auto kSm = AwsService::kSecretsManager;
  // GovCloud: Secrets Manager's endpoints are dual-stack already; STS's are FIPS already.
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "us-gov-west-1", true, true),
            "https://secretsmanager-fips.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(ResolvedEndpointUrl(kSts, "us-gov-west-1", true, true),
            "https://sts-fips.us-gov-west-1.api.aws");
  EXPECT_EQ(ResolvedEndpointUrl(kSts, "us-gov-west-1", true, false),
            "https://sts.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "eu-west-1", true),
            "https://secretsmanager-fips.eu-west-1.amazonaws.com");
  EXPECT_EQ(ResolvedEndpointUrl(kSts, "eu-west-1", false, true), "https://sts.eu-west-1.api.aws");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "cn-north-1", true, true),
            "https://secretsmanager-fips.cn-north-1.api.amazonwebservices.com.cn");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "us-iso-east-1", false, true),
            "https://secretsmanager.us-iso-east-1.api.aws.ic.gov");
  EXPECT_EQ(ResolvedEndpointUrl(kSm, "eusc-de-east-1", true, true),
            "https://secretsmanager-fips.eusc-de-east-1.api.amazonwebservices.eu");
}

TEST(AwsEndpointsTest, GlobalStsIsSignedForUsEast1) {
  auto endpoint = ResolveAwsEndpoint(AwsService::kSts, "aws-global", {});
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->url, "https://sts.amazonaws.com");
  EXPECT_EQ(endpoint->signing_region, "us-east-1");
  // Regional by default (sts_regional_endpoints=regional), also for the regions botocore 1.29's
  // "legacy" default sent to the global endpoint.
  auto regional = ResolveAwsEndpoint(AwsService::kSts, "us-east-1", {});
  ASSERT_THAT(regional, IsOk());
  EXPECT_EQ(regional->url, "https://sts.us-east-1.amazonaws.com");
  EXPECT_EQ(regional->signing_region, "us-east-1");
}

TEST(AwsEndpointsTest, BadRegionsAreRefusedNamingTheFix) {
  EXPECT_THAT(ResolveAwsEndpoint(AwsService::kSecretsManager, "", {}),
              HasErrorMessage(ErrorCode::kInvalidArgument, "AWS_REGION"));
  for (std::string_view bad : {"eu-west-1.evil.example", "eu west", "-eu-west-1", "eu/west"}) {
    EXPECT_THAT(ResolveAwsEndpoint(AwsService::kSts, bad, {}),
                HasErrorMessage(ErrorCode::kInvalidArgument, "malformed AWS region"))
        << bad;
  }
}

// A partition without FIPS or dual-stack, as botocore 1.29's aws-iso was.
TEST(AwsEndpointsTest, UnsupportedVariantIsAClearError) {
  constexpr std::array<AwsPartition, 1> kOldIso = {
      {{"aws-iso", R"(^us\-iso\-\w+\-\d+$)", {}, "c2s.ic.gov", "c2s.ic.gov", false, false}}};
  auto both =
      ResolveAwsEndpoint(AwsService::kSecretsManager, "us-iso-east-1", {true, true}, kOldIso);
  EXPECT_THAT(both, HasErrorMessage(ErrorCode::kInvalidArgument,
                                    "FIPS and DualStack are enabled, but this partition does not "
                                    "support one or both"));
  EXPECT_THAT(both.error().message, HasSubstr("aws-iso"));
  EXPECT_THAT(ResolveAwsEndpoint(AwsService::kSts, "us-iso-east-1", {false, true}, kOldIso),
              HasErrorMessage(ErrorCode::kInvalidArgument, "unset AWS_USE_DUALSTACK_ENDPOINT"));
  EXPECT_THAT(ResolveAwsEndpoint(AwsService::kSts, "us-iso-east-1", {true, false}, kOldIso),
              HasErrorMessage(ErrorCode::kInvalidArgument, "unset AWS_USE_FIPS_ENDPOINT"));
}

// ------------------------------------------------------------------ used by the clients

TEST(AwsEndpointsTest, SecretsManagerClientUsesThePartitionTable) {
  EXPECT_EQ(*ResolveSecretsManagerEndpoint("", "eusc-de-east-1", {}),
            "https://secretsmanager.eusc-de-east-1.amazonaws.eu");
  EXPECT_EQ(*ResolveSecretsManagerEndpoint("", "us-iso-east-1", {.fips = true}),
            "https://secretsmanager-fips.us-iso-east-1.c2s.ic.gov");
  EXPECT_EQ(*ResolveSecretsManagerEndpoint("", "us-isob-east-1", {}),
            "https://secretsmanager.us-isob-east-1.sc2s.sgov.gov");
}

// Records where requests go; answers 400 (no STS here).
class StsUrlRecordingHttpClient : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    urls.push_back(request.url);
    HttpResponse response;
    response.status = 400;
    return response;
  }
  std::vector<std::string> urls;
};

TEST(AwsEndpointsTest, WebIdentityInChinaAsksChinasSts) {
  locksmith::testing::TempDir dir;
  { std::ofstream(dir.path() / "jwt") << "eyJ.web-identity.jwt"; }
  const std::string token_file = (dir.path() / "jwt").string();
  EnvLookup env = [token_file](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_WEB_IDENTITY_TOKEN_FILE") {
      return token_file;
    }
    if (name == "AWS_ROLE_ARN") {
      return "arn:aws-cn:iam::123456789012:role/app";
    }
    return std::nullopt;
  };
  StsUrlRecordingHttpClient http;
  locksmith::testing::FakeClock clock;
  auto creds = MakeWebIdentityCredentialSource(env, "cn-north-1", {}, http, clock)->Fetch();
  EXPECT_THAT(creds, HasError(ErrorCode::kUnauthenticated));
  ASSERT_EQ(http.urls.size(), 1u);
  EXPECT_EQ(http.urls[0], "https://sts.cn-north-1.amazonaws.com.cn/");
}

// Where CreateAwsProvider sends requests for these variables (and a config file, if given).
Result<std::string> EndpointOfProviderFor(std::map<std::string, std::string> vars,
                                          const std::string& config_text = "") {
  locksmith::testing::TempDir dir;
  if (!config_text.empty()) {
    std::ofstream(dir.path() / "config") << config_text;
    vars["AWS_CONFIG_FILE"] = (dir.path() / "config").string();
  }
  vars["AWS_ACCESS_KEY_ID"] = "AKIDENDPOINTS";
  vars["AWS_SECRET_ACCESS_KEY"] = "endpoints-test-secret-key";
  vars["HOME"] = dir.path().string();
  EnvLookup env = [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  LOCKSMITH_ASSIGN_OR_RETURN(AwsOptions options, AwsOptionsFromEnv(env));
  locksmith::testing::FakeClock clock;
  locksmith::testing::FakeRandom random;
  LOCKSMITH_ASSIGN_OR_RETURN(auto provider, CreateAwsProvider(options, env, clock, random));
  return provider->Endpoint();
}

TEST(AwsEndpointsTest, DualStackAndFipsFromVariablesAndTheProfile) {
  EXPECT_EQ(*EndpointOfProviderFor({{"AWS_REGION", "eusc-de-east-1"}}),
            "https://secretsmanager.eusc-de-east-1.amazonaws.eu");
  EXPECT_EQ(*EndpointOfProviderFor(
                {{"AWS_REGION", "eusc-de-east-1"}, {"AWS_USE_DUALSTACK_ENDPOINT", "true"}}),
            "https://secretsmanager.eusc-de-east-1.api.amazonwebservices.eu");
  EXPECT_THAT(
      EndpointOfProviderFor({{"AWS_REGION", "eu-west-1"}, {"AWS_USE_DUALSTACK_ENDPOINT", "1"}}),
      HasErrorMessage(ErrorCode::kInvalidArgument,
                      "AWS_USE_DUALSTACK_ENDPOINT must be true or false"));
  // The profile's use_fips_endpoint / use_dualstack_endpoint, unless a variable says otherwise.
  const std::string profile =
      "[default]\nregion = us-iso-east-1\nuse_fips_endpoint = true\nuse_dualstack_endpoint = "
      "TRUE\n";
  EXPECT_EQ(*EndpointOfProviderFor({}, profile),
            "https://secretsmanager-fips.us-iso-east-1.api.aws.ic.gov");
  EXPECT_EQ(*EndpointOfProviderFor({{"AWS_USE_DUALSTACK_ENDPOINT", "false"}}, profile),
            "https://secretsmanager-fips.us-iso-east-1.c2s.ic.gov");
  EXPECT_THAT(EndpointOfProviderFor({}, "[default]\nregion = eu-west-1\nuse_fips_endpoint = on\n"),
              HasErrorMessage(ErrorCode::kInvalidArgument,
                              "use_fips_endpoint of AWS profile 'default' must be true or false"));
  // An endpoint URL is taken as it is, as by the SDKs.
  EXPECT_EQ(*EndpointOfProviderFor({{"AWS_REGION", "eu-west-1"},
                                    {"AWS_USE_FIPS_ENDPOINT", "true"},
                                    {"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}}),
            "http://127.0.0.1:4566");
}

// ------------------------------------------------------------------ against botocore itself

nlohmann::json LoadEndpointsJsonFile(const std::string& relative) {
  std::ifstream in(testing::SourcePath(relative));
  return nlohmann::json::parse(in, nullptr, false);
}

// Runs aws_botocore_endpoints.py; null JSON if python3 or botocore is missing.
nlohmann::json RunBotocoreEndpointsScript() {
  std::string command = "/usr/bin/python3 " +
                        testing::SourcePath("tests/providers/aws/aws_botocore_endpoints.py") +
                        " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return nullptr;
  }
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) {
    out.append(buffer, n);
  }
  ::pclose(pipe);
  return nlohmann::json::parse(out, nullptr, false);
}

// An AwsPartition table built from a partitions.json, owning its strings.
class PartitionsFromJson {
 public:
  explicit PartitionsFromJson(const nlohmann::json& json) {
    for (const auto& p : json.at("partitions")) {
      auto& regions = regions_.emplace_back();
      for (const auto& [name, unused] : p.at("regions").items()) {
        regions.push_back(Keep(name));
      }
      const auto& out = p.at("outputs");
      table_.push_back(
          {Keep(p.at("id").get<std::string>()), Keep(p.at("regionRegex").get<std::string>()),
           regions, Keep(out.at("dnsSuffix").get<std::string>()),
           Keep(out.at("dualStackDnsSuffix").get<std::string>()),
           out.at("supportsFIPS").get<bool>(), out.at("supportsDualStack").get<bool>()});
    }
  }
  std::span<const AwsPartition> table() const { return table_; }

 private:
  std::string_view Keep(std::string text) { return strings_.emplace_back(std::move(text)); }
  std::deque<std::string> strings_;
  std::deque<std::vector<std::string_view>> regions_;
  std::vector<AwsPartition> table_;
};

TEST(AwsEndpointsTest, TableEqualsBotocorePartitionsJson) {
  nlohmann::json json = LoadEndpointsJsonFile("tests/data/aws_endpoints/partitions.json");
  ASSERT_TRUE(json.is_object());
  PartitionsFromJson expected(json);
  std::span<const AwsPartition> ours = AwsPartitions();
  ASSERT_EQ(ours.size(), expected.table().size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const AwsPartition& want = expected.table()[i];
    SCOPED_TRACE(std::string(want.id));
    EXPECT_EQ(ours[i].id, want.id);
    EXPECT_EQ(ours[i].region_regex, want.region_regex);
    EXPECT_EQ(ours[i].dns_suffix, want.dns_suffix);
    EXPECT_EQ(ours[i].dual_stack_dns_suffix, want.dual_stack_dns_suffix);
    EXPECT_EQ(ours[i].supports_fips, want.supports_fips);
    EXPECT_EQ(ours[i].supports_dual_stack, want.supports_dual_stack);
    // Every region botocore lists is claimed by its partition (only the regex-less ones are
    // listed in our table).
    for (std::string_view region : want.extra_regions) {
      EXPECT_EQ(PartitionForRegion(region).id, want.id) << region;
    }
  }
}

TEST(AwsEndpointsTest, EveryRegionAndFlagEqualsBotocoresResolver) {
  nlohmann::json botocore = RunBotocoreEndpointsScript();
  ASSERT_TRUE(botocore.is_object()) << "botocore did not answer (apt-get install python3-botocore)";
  PartitionsFromJson installed(botocore.at("tables").at("installed"));
  std::size_t checked = 0;
  for (const auto& c : botocore.at("cases")) {
    const std::string region = c.at("region").get<std::string>();
    const AwsService service =
        c.at("service") == "sts" ? AwsService::kSts : AwsService::kSecretsManager;
    const AwsEndpointFlags flags{c.at("fips").get<bool>(), c.at("dual_stack").get<bool>()};
    auto ours = c.at("table") == "current"
                    ? ResolveAwsEndpoint(service, region, flags)
                    : ResolveAwsEndpoint(service, region, flags, installed.table());
    SCOPED_TRACE(c.dump());
    if (c.contains("error")) {
      EXPECT_THAT(ours,
                  HasErrorMessage(ErrorCode::kInvalidArgument, c.at("error").get<std::string>()));
    } else {
      ASSERT_THAT(ours, IsOk());
      EXPECT_EQ(ours->url, c.at("url").get<std::string>());
      EXPECT_EQ(ours->signing_region, c.at("signing_region").get<std::string>());
    }
    ++checked;
  }
  EXPECT_GT(checked, 400u);
}

}  // namespace
}  // namespace locksmith::internal
