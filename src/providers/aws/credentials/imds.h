// The EC2 instance metadata (IMDSv2) credential source.
#pragma once

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/source.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// EC2 IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254): a session
// token by PUT, then the instance role's credentials. Off when AWS_EC2_METADATA_DISABLED=true.
// An unreachable IMDS is kNotFound (not on EC2). `http` must outlive it.
AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http);

}  // namespace locksmith::internal
