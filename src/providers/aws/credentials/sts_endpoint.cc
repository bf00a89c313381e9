#include "providers/aws/credentials/sts_endpoint.h"

#include "providers/aws/credentials/source.h"  // NonEmptyEnv

namespace locksmith::internal {

Result<AwsEndpoint> StsEndpoint(const EnvLookup& env, std::string_view region,
                                AwsEndpointFlags flags) {
  AwsEndpoint endpoint;
  if (auto url = NonEmptyEnv(env, "AWS_ENDPOINT_URL_STS")) {
    endpoint = {std::move(*url), std::string(region)};
  } else if (auto any = NonEmptyEnv(env, "AWS_ENDPOINT_URL")) {
    endpoint = {std::move(*any), std::string(region)};
  } else {
    LOCKSMITH_ASSIGN_OR_RETURN(endpoint, ResolveAwsEndpoint(AwsService::kSts, region, flags));
  }
  while (!endpoint.url.empty() && endpoint.url.back() == '/') {
    endpoint.url.pop_back();
  }
  return endpoint;
}

}  // namespace locksmith::internal
