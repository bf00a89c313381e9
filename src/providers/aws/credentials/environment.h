// The environment credential source: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
// (and AWS_CREDENTIAL_EXPIRATION).
#pragma once

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

AwsCredentialSourcePtr MakeEnvCredentialSource(EnvLookup env);

}  // namespace locksmith::internal
