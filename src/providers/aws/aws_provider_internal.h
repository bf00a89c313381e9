// The concrete Secrets Manager provider, for tests and for wiring with injected HTTP clients
// and credential sources.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/version_cache.h"
#include "locksmith/aws_provider.h"
#include "providers/aws/aws_client.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/endpoints.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// The SDK default chain in botocore's order: environment, the profile's role_arn (AssumeRole),
// web identity, SSO (an error: unsupported), the credentials file, credential_process, the config
// file, container, IMDS. `metadata`
// is the client for the container endpoint and IMDS (plain http to link-local addresses), `sts`
// the one for STS; both must outlive the chain. STS is reached in `region` with `endpoint_flags`.
AwsCredentialSourcePtr MakeDefaultCredentialChain(const EnvLookup& env, const AwsSharedFiles& files,
                                                  const std::string& region,
                                                  AwsEndpointFlags endpoint_flags,
                                                  HttpClient& metadata, HttpClient& sts,
                                                  Clock& clock);

class AwsProviderImpl : public AwsSecretsManagerProvider {
 public:
  // `http` is owned; `metadata_http` (may be null when `source` needs none) too.
  static Result<std::unique_ptr<AwsProviderImpl>> Create(AwsOptions options, HttpClientPtr http,
                                                         HttpClientPtr metadata_http,
                                                         AwsCredentialSourcePtr source,
                                                         Clock& clock, Random& random);

  std::string_view Kind() const override { return "aws"; }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override;
  Result<SecretDescription> Describe(std::string_view name) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override;
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override;
  Result<AwsBatchResult> GetBatch(const std::vector<std::string>& names) override;
  Result<BatchResult> GetCurrentBatch(const std::vector<std::string>& names) override;
  std::string Endpoint() const override { return client_->endpoint(); }
  // For `locksmith status`: endpoint, region, prefix and where the chain found credentials
  // ("environment", "profile ops", "imds", ...); never a credential. Fails as finding
  // credentials fails, since that is what breaks when there are none.
  Result<StatusDetailList> StatusDetails() override;
  // A PutSecretValue to a random secret id outside the prefix (it does not exist, so nothing is
  // written) and a ListSecrets filtered on a random name (aws_privileges.cc).
  Result<PrivilegeProbeList> ProbeLeastPrivilege() override;

  RefreshingCredentials& credentials() { return *credentials_; }
  VersionCache& version_cache() { return *versions_; }

 private:
  AwsProviderImpl() = default;
  std::string SecretId(std::string_view name) const;
  Result<std::string> NewRequestToken();
  // GetSecretValue by `selector`; the whole value, stored in versions_.
  Result<Secret> Fetch(const std::string& name, const VersionSelector& selector);
  // Version `version_id` of `name` from versions_, if held.
  std::optional<Secret> Cached(const std::string& name, std::string_view version_id);
  // Where `stage` points now, through DescribeSecret, served from versions_ when cached. Empty
  // when DescribeSecret is denied or the secret is marked for deletion (the caller reads by stage
  // instead).
  Result<std::optional<Secret>> GetByDescribe(const std::string& name, Stage stage);
  // Describe, also telling whether the secret is marked for deletion (DeletedDate).
  Result<SecretDescription> DescribeSecret(std::string_view name, bool& deleted);

  AwsOptions options_;
  Clock* clock_ = nullptr;
  Random* random_ = nullptr;
  HttpClientPtr http_;
  HttpClientPtr metadata_http_;
  std::unique_ptr<RefreshingCredentials> credentials_;
  std::unique_ptr<SecretsManagerClient> client_;
  // Values per version id (immutable in Secrets Manager), keyed by logical name.
  std::unique_ptr<VersionCache> versions_;
  // Set once DescribeSecret or BatchGetSecretValue is refused (AccessDenied): the policy will not
  // change under us, so stop asking (reads by stage, one GetSecretValue per name).
  std::atomic<bool> describe_denied_{false};
  std::atomic<bool> batch_denied_{false};
};

}  // namespace locksmith::internal
