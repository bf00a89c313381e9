// Where STS is: the one place the web identity and assume-role sources take the STS URL from.
#pragma once

#include <string_view>

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "locksmith/result.h"
#include "providers/aws/endpoints.h"

namespace locksmith::internal {

// AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL (signed for `region`), else STS of `region` with
// `flags` from the partition table (ResolveAwsEndpoint: sts.<region>.<the partition's suffix>,
// its FIPS / dual-stack forms). The URL has no trailing slash. Errors as ResolveAwsEndpoint's.
Result<AwsEndpoint> StsEndpoint(const EnvLookup& env, std::string_view region,
                                AwsEndpointFlags flags);

}  // namespace locksmith::internal
