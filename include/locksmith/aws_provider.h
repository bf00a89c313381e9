// AwsSecretsManagerProvider: secrets in AWS Secrets Manager, spoken to over its JSON protocol
// (awsJson1.1) with SigV4-signed requests, credentials found through the AWS SDKs' default chain
// (environment, shared files, web identity, container endpoint, EC2 IMDSv2) and refreshed before
// they expire. Version stages map onto AWS staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING).
// Works under a least-privilege IAM policy allowing only GetSecretValue and DescribeSecret.
// Setup and variables: docs/aws.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"

namespace locksmith {

struct AwsOptions {
  // AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region`.
  std::string region;
  // AWS_PROFILE (else "default") for the shared credentials and config files.
  std::string profile;
  // AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL; empty: the region's endpoint in its
  // partition, e.g. https://secretsmanager.<region>.amazonaws.com (docs/aws.md).
  std::string endpoint_url;
  // AWS_USE_FIPS_ENDPOINT=true / AWS_USE_DUALSTACK_ENDPOINT=true, else the profile's
  // use_fips_endpoint / use_dualstack_endpoint: the FIPS / dual-stack endpoints of Secrets Manager
  // and STS (ignored with an endpoint URL, as by the SDKs).
  bool use_fips = false;
  bool use_dualstack = false;
  // AWS_SECRETS_PREFIX: logical name "jwt-secret" is secret "<prefix>/jwt-secret".
  std::string prefix;

  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Each call is one attempt: throttling, 5xx and network failures come back as retryable
  // errors and the runtime retries them (SecretsManagerOptions::retry, LOCKSMITH_RETRY_*).
  // Plain http:// is accepted only to loopback unless this is set.
  bool allow_plain_http = false;
  // Temporary credentials are refreshed ahead as botocore does: from `credential_advisory_refresh`
  // before they expire a failed refresh keeps them; from `credential_mandatory_refresh` before,
  // it is an error (docs/aws.md).
  std::chrono::seconds credential_advisory_refresh = std::chrono::minutes(15);
  std::chrono::seconds credential_mandatory_refresh = std::chrono::minutes(10);
  // Version-aware caching: values are kept per version id (immutable in Secrets Manager), this
  // many per secret, for at most `cached_secrets` secrets. Once a secret has a cached version, a
  // read by stage asks DescribeSecret where the stage points and fetches the value only for a
  // version id not cached; a read by cached version id makes no call. 0 turns it off (every read
  // is a GetSecretValue).
  std::size_t cached_versions_per_secret = 3;
  std::size_t cached_secrets = 10000;
};

// Options from the process (or a fake) environment: the variables named above.
// kInvalidArgument for a malformed AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT.
Result<AwsOptions> AwsOptionsFromEnv(const EnvLookup& env);

// What one BatchGetSecretValue preload found (the same shape as Provider::GetCurrentBatch's).
using AwsBatchResult = BatchResult;

// A Provider with the extras only Secrets Manager has. Thread-safe.
class AwsSecretsManagerProvider : public Provider {
 public:
  // Current versions of `names` (logical names) through BatchGetSecretValue, 20 per call, for
  // the start-up preload (GetCurrentBatch uses it, falling back to one GetSecretValue per name
  // when BatchGetSecretValue is denied). A name that fails is reported in `errors`; the call fails
  // as a whole only when a request fails (credentials, permission, network).
  virtual Result<AwsBatchResult> GetBatch(const std::vector<std::string>& names) = 0;
  // Where requests go, e.g. "https://secretsmanager.eu-west-1.amazonaws.com".
  virtual std::string Endpoint() const = 0;
};

// Finds credentials (not yet fetched from the network: that happens on the first call) and the
// region. Errors: kInvalidArgument for no region or a malformed endpoint URL. `env` supplies
// AWS_* credential variables and HOME; `clock` and `random` must outlive the provider.
Result<std::unique_ptr<AwsSecretsManagerProvider>> CreateAwsProvider(AwsOptions options,
                                                                     EnvLookup env, Clock& clock,
                                                                     Random& random);

}  // namespace locksmith
