// Where STS is: the one place the web identity and assume-role sources take the STS URL from.
#pragma once

#include <string>
#include <string_view>

#include "locksmith/dotenv_provider.h"  // EnvLookup

namespace locksmith::internal {

// AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com; without
// a trailing slash.
std::string StsEndpointUrl(const EnvLookup& env, std::string_view region);

}  // namespace locksmith::internal
