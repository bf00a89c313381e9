#include "providers/aws/endpoints.h"

#include <array>
#include <cctype>
#include <regex>

namespace locksmith::internal {
namespace {

// botocore/data/partitions.json at boto/botocore@0e6e2404 (2026-08-07), copied into
// tests/data/aws_endpoints/partitions.json; aws_endpoints_test.cc checks this table against it.
constexpr std::array<std::string_view, 1> kAwsGlobal = {"aws-global"};
constexpr std::array<std::string_view, 1> kAwsCnGlobal = {"aws-cn-global"};
constexpr std::array<std::string_view, 1> kAwsIsoGlobal = {"aws-iso-global"};
constexpr std::array<std::string_view, 1> kAwsIsoBGlobal = {"aws-iso-b-global"};
constexpr std::array<std::string_view, 1> kAwsIsoEGlobal = {"aws-iso-e-global"};
constexpr std::array<std::string_view, 1> kAwsIsoFGlobal = {"aws-iso-f-global"};
constexpr std::array<std::string_view, 1> kAwsUsGovGlobal = {"aws-us-gov-global"};

constexpr std::array<AwsPartition, 8> kPartitionTable = {{
    {"aws", R"(^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$)", kAwsGlobal, "amazonaws.com", "api.aws",
     true, true},
    {"aws-cn", R"(^cn\-\w+\-\d+$)", kAwsCnGlobal, "amazonaws.com.cn",
     "api.amazonwebservices.com.cn", true, true},
    {"aws-eusc",
     R"(^eusc\-(de)\-\w+\-\d+$)",
     {},
     "amazonaws.eu",
     "api.amazonwebservices.eu",
     true,
     true},
    {"aws-iso", R"(^us\-iso\-\w+\-\d+$)", kAwsIsoGlobal, "c2s.ic.gov", "api.aws.ic.gov", true,
     true},
    {"aws-iso-b", R"(^us\-isob\-\w+\-\d+$)", kAwsIsoBGlobal, "sc2s.sgov.gov", "api.aws.scloud",
     true, true},
    {"aws-iso-e", R"(^eu\-isoe\-\w+\-\d+$)", kAwsIsoEGlobal, "cloud.adc-e.uk",
     "api.cloud-aws.adc-e.uk", true, true},
    {"aws-iso-f", R"(^us\-isof\-\w+\-\d+$)", kAwsIsoFGlobal, "csp.hci.ic.gov", "api.aws.hci.ic.gov",
     true, true},
    {"aws-us-gov", R"(^us\-gov\-\w+\-\d+$)", kAwsUsGovGlobal, "amazonaws.com", "api.aws", true,
     true},
}};

bool PartitionClaimsRegion(const AwsPartition& partition, std::string_view region) {
  for (std::string_view listed : partition.extra_regions) {
    if (listed == region) {
      return true;
    }
  }
  const std::regex regex(partition.region_regex.begin(), partition.region_regex.end(),
                         std::regex::ECMAScript);
  return std::regex_search(region.begin(), region.end(), regex);
}

// A DNS label, as botocore's validate_region_name requires.
bool IsRegionHostLabel(std::string_view region) {
  if (region.empty() || region.size() > 63 || region.front() == '-' || region.back() == '-') {
    return false;
  }
  for (char c : region) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

std::string EndpointHttpsUrl(std::string_view host_prefix, std::string_view region,
                             std::string_view suffix) {
  return "https://" + std::string(host_prefix) + "." + std::string(region) + "." +
         std::string(suffix);
}

// What to change, after the rule set's own words.
Error PartitionUnsupportedError(std::string_view rule_text, const AwsPartition& partition,
                                std::string_view region, std::string_view unset) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(rule_text) + " (region '" +
                                                    std::string(region) + "' is in partition " +
                                                    std::string(partition.id) + "): unset " +
                                                    std::string(unset));
}

constexpr std::string_view kUnsetFipsHint = "AWS_USE_FIPS_ENDPOINT (or use_fips_endpoint)";
constexpr std::string_view kUnsetDualStackHint =
    "AWS_USE_DUALSTACK_ENDPOINT (or use_dualstack_endpoint)";
constexpr std::string_view kUnsetBothHint =
    "AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT (or the profile's use_fips_endpoint / "
    "use_dualstack_endpoint)";

// botocore/data/secretsmanager/2017-10-17/endpoint-rule-set-1.json (tests/data/botocore): its
// endpoints in aws, aws-cn and aws-us-gov are dual-stack already.
Result<std::string> SecretsManagerRuleSetUrl(const AwsPartition& p, std::string_view region,
                                             AwsEndpointFlags flags) {
  const bool commercial_or_gov = p.id == "aws" || p.id == "aws-us-gov";
  if (flags.fips && flags.dual_stack) {
    if (!p.supports_fips || !p.supports_dual_stack) {
      return PartitionUnsupportedError(
          "FIPS and DualStack are enabled, but this partition does not support one or both", p,
          region, kUnsetBothHint);
    }
    return EndpointHttpsUrl("secretsmanager-fips", region,
                            commercial_or_gov ? "amazonaws.com" : p.dual_stack_dns_suffix);
  }
  if (flags.fips) {
    if (!p.supports_fips) {
      return PartitionUnsupportedError("FIPS is enabled but this partition does not support FIPS",
                                       p, region, kUnsetFipsHint);
    }
    return EndpointHttpsUrl("secretsmanager-fips", region, p.dns_suffix);
  }
  if (flags.dual_stack) {
    if (!p.supports_dual_stack) {
      return PartitionUnsupportedError(
          "DualStack is enabled but this partition does not support DualStack", p, region,
          kUnsetDualStackHint);
    }
    if (commercial_or_gov) {
      return EndpointHttpsUrl("secretsmanager", region, "amazonaws.com");
    }
    if (p.id == "aws-cn") {
      return EndpointHttpsUrl("secretsmanager", region, "amazonaws.com.cn");
    }
    return EndpointHttpsUrl("secretsmanager", region, p.dual_stack_dns_suffix);
  }
  return EndpointHttpsUrl("secretsmanager", region, p.dns_suffix);
}

// botocore/data/sts/2011-06-15/endpoint-rule-set-1.json (tests/data/aws_endpoints) with
// UseGlobalEndpoint false (sts_regional_endpoints=regional).
Result<AwsEndpoint> StsRuleSetEndpoint(const AwsPartition& p, std::string_view region,
                                       AwsEndpointFlags flags) {
  AwsEndpoint endpoint;
  endpoint.signing_region = std::string(region);
  if (flags.fips && flags.dual_stack) {
    if (!p.supports_fips || !p.supports_dual_stack) {
      return PartitionUnsupportedError(
          "FIPS and DualStack are enabled, but this partition does not support one or both", p,
          region, kUnsetBothHint);
    }
    endpoint.url = EndpointHttpsUrl("sts-fips", region, p.dual_stack_dns_suffix);
  } else if (flags.fips) {
    if (!p.supports_fips) {
      return PartitionUnsupportedError("FIPS is enabled but this partition does not support FIPS",
                                       p, region, kUnsetFipsHint);
    }
    // GovCloud's STS endpoints are FIPS endpoints.
    endpoint.url = p.id == "aws-us-gov" ? EndpointHttpsUrl("sts", region, "amazonaws.com")
                                        : EndpointHttpsUrl("sts-fips", region, p.dns_suffix);
  } else if (flags.dual_stack) {
    if (!p.supports_dual_stack) {
      return PartitionUnsupportedError(
          "DualStack is enabled but this partition does not support DualStack", p, region,
          kUnsetDualStackHint);
    }
    endpoint.url = EndpointHttpsUrl("sts", region, p.dual_stack_dns_suffix);
  } else if (region == "aws-global") {
    endpoint.url = "https://sts.amazonaws.com";
    endpoint.signing_region = "us-east-1";
  } else {
    endpoint.url = EndpointHttpsUrl("sts", region, p.dns_suffix);
  }
  return endpoint;
}

}  // namespace

std::span<const AwsPartition> AwsPartitions() { return kPartitionTable; }

const AwsPartition& PartitionForRegion(std::string_view region,
                                       std::span<const AwsPartition> partitions) {
  for (const AwsPartition& partition : partitions) {
    if (PartitionClaimsRegion(partition, region)) {
      return partition;
    }
  }
  return partitions.front();
}

Result<AwsEndpoint> ResolveAwsEndpoint(AwsService service, std::string_view region,
                                       AwsEndpointFlags flags,
                                       std::span<const AwsPartition> partitions) {
  if (region.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile region)");
  }
  if (!IsRegionHostLabel(region)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "malformed AWS region '" + std::string(region) +
                         "': letters, digits and inner hyphens only (e.g. eu-west-1)");
  }
  const AwsPartition& partition = PartitionForRegion(region, partitions);
  if (service == AwsService::kSts) {
    return StsRuleSetEndpoint(partition, region, flags);
  }
  AwsEndpoint endpoint;
  LOCKSMITH_ASSIGN_OR_RETURN(endpoint.url, SecretsManagerRuleSetUrl(partition, region, flags));
  endpoint.signing_region = std::string(region);
  return endpoint;
}

}  // namespace locksmith::internal
