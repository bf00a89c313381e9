// The container credential source (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// or _FULL_URI, with an optional authorization token.
#pragma once

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/source.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2) or _FULL_URI (https, or http
// to loopback / the ECS and EKS link-local addresses), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
// or AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header. `http` must outlive it.
AwsCredentialSourcePtr MakeContainerCredentialSource(EnvLookup env, HttpClient& http);

}  // namespace locksmith::internal
