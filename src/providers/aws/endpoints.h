// AWS endpoint resolution: region + FIPS/dual-stack flags -> the URL of Secrets Manager or STS,
// as botocore's endpoint rule sets compute it from the partition table (botocore's
// data/partitions.json: region regex -> DNS suffixes and what the partition supports). A region
// no partition claims falls into the first one ("aws"), as botocore's aws.partition does.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// One partition, with botocore's facts copied verbatim.
struct AwsPartition {
  std::string_view id;            // "aws-cn"
  std::string_view region_regex;  // "^cn\\-\\w+\\-\\d+$" (ECMAScript)
  // Regions the partition lists that its regex does not match ("aws-cn-global").
  std::span<const std::string_view> extra_regions;
  std::string_view dns_suffix;             // "amazonaws.com.cn"
  std::string_view dual_stack_dns_suffix;  // "api.amazonwebservices.com.cn"
  bool supports_fips = true;
  bool supports_dual_stack = true;
};

// botocore's partitions, in its order (the order decides which one claims a region).
std::span<const AwsPartition> AwsPartitions();

// The partition of `region`: the first that lists it or whose regex matches it, else the first.
// `partitions` must not be empty.
const AwsPartition& PartitionForRegion(std::string_view region,
                                       std::span<const AwsPartition> partitions = AwsPartitions());

enum class AwsService { kSecretsManager, kSts };

struct AwsEndpointFlags {
  bool fips = false;        // AWS_USE_FIPS_ENDPOINT / use_fips_endpoint
  bool dual_stack = false;  // AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint
};

struct AwsEndpoint {
  std::string url;             // "https://sts.cn-north-1.amazonaws.com.cn", no trailing slash
  std::string signing_region;  // the SigV4 scope's region ("us-east-1" for aws-global's STS)
};

// The service's endpoint in `region` as botocore's rule set for it resolves it (STS with
// sts_regional_endpoints=regional, botocore's default since 1.40). Errors (kInvalidArgument): no
// region, a region that is not a host label, FIPS or dual-stack asked of a partition that does
// not support it (the rule set's words, plus what to change).
Result<AwsEndpoint> ResolveAwsEndpoint(AwsService service, std::string_view region,
                                       AwsEndpointFlags flags,
                                       std::span<const AwsPartition> partitions = AwsPartitions());

}  // namespace locksmith::internal
