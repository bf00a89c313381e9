#include "providers/aws/credentials/chain.h"

#include <spdlog/spdlog.h>

#include "locksmith/log.h"

namespace locksmith::internal {

AwsCredentialChain::AwsCredentialChain(std::vector<AwsCredentialSourcePtr> sources)
    : sources_(std::move(sources)) {}

Result<AwsCredentials> AwsCredentialChain::Fetch() {
  std::lock_guard lock(mu_);
  if (chosen_ != nullptr) {
    return chosen_->Fetch();
  }
  for (auto& source : sources_) {
    auto creds = source->Fetch();
    if (creds.ok()) {
      chosen_ = source.get();
      Logger()->info("AWS credentials from {}", source->Name());
      return creds;
    }
    if (creds.error().code != ErrorCode::kNotFound) {
      return MakeError(creds.error().code, "AWS credentials (" + std::string(source->Name()) +
                                               "): " + creds.error().message);
    }
  }
  return MakeError(ErrorCode::kUnauthenticated,
                   "no AWS credentials found (environment, profile role_arn, web identity, "
                   "credentials file, credential_process, config file, container endpoint, IMDS)");
}

}  // namespace locksmith::internal
