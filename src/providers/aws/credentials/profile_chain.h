// botocore's "profile providers" (ProfileProviderBuilder.providers): the sources that read the
// profile, in its order, and the dependencies every source of the chain is built from.
#pragma once

#include <string>
#include <vector>

#include "core/subprocess.h"  // SubprocessLimits
#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/profile.h"
#include "providers/aws/credentials/source.h"
#include "providers/aws/endpoints.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// What the sources of the chain are built from. `metadata` (container endpoint, IMDS), `sts` and
// `clock` must outlive every source built from it.
struct AwsCredentialDeps {
  EnvLookup env;
  std::string region;
  HttpClient& metadata;
  HttpClient& sts;
  Clock& clock;
  SubprocessLimits process_limits;
  AwsEndpointFlags endpoint_flags;  // FIPS / dual-stack for STS
};

// In botocore's order: web identity (AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN /
// AWS_ROLE_SESSION_NAME, each else the profile's web_identity_token_file / role_arn /
// role_session_name; the environment only when `use_env`), SSO (a clear error: unsupported),
// the credentials file's keys, credential_process, the config file's keys.
std::vector<AwsCredentialSourcePtr> MakeProfileProviders(const AwsSharedFiles& files,
                                                         const AwsCredentialDeps& deps,
                                                         bool use_env);

// The web identity source of the list above, alone.
AwsCredentialSourcePtr MakeProfileWebIdentitySource(const AwsSharedFiles& files,
                                                    const AwsCredentialDeps& deps, bool use_env);

}  // namespace locksmith::internal
