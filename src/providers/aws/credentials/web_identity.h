// The web identity credential source: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
// (+ AWS_ROLE_SESSION_NAME) exchanged through STS AssumeRoleWithWebIdentity.
#pragma once

#include <string>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/source.h"
#include "providers/aws/endpoints.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// STS AssumeRoleWithWebIdentity (an unsigned call) at AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL /
// the STS endpoint of `region` with `flags` (providers/aws/endpoints.h: sts.<region>.<the
// partition's suffix>). `http` and `clock` must outlive the source.
AwsCredentialSourcePtr MakeWebIdentityCredentialSource(EnvLookup env, std::string region,
                                                       AwsEndpointFlags flags, HttpClient& http,
                                                       Clock& clock);

}  // namespace locksmith::internal
