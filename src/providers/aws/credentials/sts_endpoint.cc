#include "providers/aws/credentials/sts_endpoint.h"

#include "providers/aws/credentials/source.h"  // NonEmptyEnv

namespace locksmith::internal {

std::string StsEndpointUrl(const EnvLookup& env, std::string_view region) {
  std::string endpoint =
      NonEmptyEnv(env, "AWS_ENDPOINT_URL_STS")
          .value_or(NonEmptyEnv(env, "AWS_ENDPOINT_URL")
                        .value_or("https://sts." + std::string(region) + ".amazonaws.com"));
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.pop_back();
  }
  return endpoint;
}

}  // namespace locksmith::internal
