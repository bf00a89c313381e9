// The EC2 instance metadata (IMDS) credential source: IMDSv2, with botocore's IMDSv1 fallback.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "locksmith/random.h"
#include "providers/aws/credentials/profile.h"  // AwsSharedFiles
#include "providers/aws/credentials/source.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// What botocore reads for IMDS: each from its variable, else the profile's config key.
struct ImdsSettings {
  bool disabled = false;     // AWS_EC2_METADATA_DISABLED=true (a variable only, as botocore)
  bool v1_disabled = false;  // AWS_EC2_METADATA_V1_DISABLED / ec2_metadata_v1_disabled
  // AWS_EC2_METADATA_SERVICE_ENDPOINT / ec2_metadata_service_endpoint, without trailing '/'.
  std::string endpoint = "http://169.254.169.254";
  // AWS_METADATA_SERVICE_TIMEOUT / metadata_service_timeout: whole seconds, per request.
  std::chrono::milliseconds timeout = std::chrono::seconds(1);
  // AWS_METADATA_SERVICE_NUM_ATTEMPTS / metadata_service_num_attempts: tries per request.
  int attempts = 1;
};

// kInvalidArgument naming the variable (or key) for a value that is not a positive whole number
// or, for the switches, not true / false. `files` may be null (variables only).
Result<ImdsSettings> ResolveImdsSettings(const EnvLookup& env, const AwsSharedFiles* files);

// The IMDS source. Each Fetch(): a session token by PUT, then the instance role's credentials
// with it (IMDSv2). When the PUT is refused (403, 404, 405), times out (the hop limit inside a
// container on EC2), fails to connect or answers anything else `attempts` times, the GETs go
// without a token (IMDSv1), as botocore does, unless IMDSv1 is disabled: then an error saying
// why the token failed. A 400 to the PUT is an error. Nothing listening is kNotFound (not on
// EC2). Off when AWS_EC2_METADATA_DISABLED=true.
//
// With a clock and a random source, credentials that expire within 15 minutes (plus 2-10
// minutes of jitter) are reported to expire that long from now, as botocore does, so an IMDS
// still serving old credentials near or past their expiry (rotation pending, or an outage) is
// asked again in a few minutes rather than on every request. The settings are read at each
// Fetch(); `http` (and `clock`, `random`) must outlive the source.
AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http,
                                                std::optional<AwsSharedFiles> files = {},
                                                Clock* clock = nullptr, Random* random = nullptr);

}  // namespace locksmith::internal
