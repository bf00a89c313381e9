// AwsCredentialChain: the sources tried in order, the first that answers kept (as the SDKs do).
#pragma once

#include <mutex>
#include <vector>

#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// Tries `sources` in order and keeps the first that answers. No source: kUnauthenticated
// "no AWS credentials found".
class AwsCredentialChain : public AwsCredentialSource {
 public:
  explicit AwsCredentialChain(std::vector<AwsCredentialSourcePtr> sources);
  Result<AwsCredentials> Fetch() override;
  std::string_view Name() const override { return "chain"; }

 private:
  std::mutex mu_;
  std::vector<AwsCredentialSourcePtr> sources_;
  AwsCredentialSource* chosen_ = nullptr;
};

}  // namespace locksmith::internal
