// The concrete Secrets Manager provider, for tests and for wiring with injected HTTP clients
// and credential sources.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/aws_provider.h"
#include "providers/aws/aws_client.h"
#include "providers/aws/aws_credentials.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// The SDK default chain: environment, shared files, web identity, container, IMDS. `metadata`
// is the client for the container endpoint and IMDS (plain http to link-local addresses), `sts`
// the one for STS; both must outlive the chain.
AwsCredentialSourcePtr MakeDefaultCredentialChain(const EnvLookup& env, const AwsSharedFiles& files,
                                                  const std::string& region, HttpClient& metadata,
                                                  HttpClient& sts, Clock& clock);

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
  std::string Endpoint() const override { return client_->endpoint(); }

  RefreshingCredentials& credentials() { return *credentials_; }

 private:
  AwsProviderImpl() = default;
  std::string SecretId(std::string_view name) const;
  Result<std::string> NewRequestToken();

  AwsOptions options_;
  Clock* clock_ = nullptr;
  Random* random_ = nullptr;
  HttpClientPtr http_;
  HttpClientPtr metadata_http_;
  std::unique_ptr<RefreshingCredentials> credentials_;
  std::unique_ptr<SecretsManagerClient> client_;
};

// "AWSCURRENT" -> kCurrent etc.; nullopt for custom labels.
std::optional<Stage> StageFromLabel(std::string_view label);
std::string_view LabelForStage(Stage stage);

}  // namespace locksmith::internal
