#include "providers/aws/credentials/sso.h"

namespace locksmith::internal {
namespace {

class SsoProfileSource : public AwsCredentialSource {
 public:
  explicit SsoProfileSource(AwsSharedFiles files) : files_(std::move(files)) {}
  std::string_view Name() const override { return "sso"; }
  Result<AwsCredentials> Fetch() override {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, files_.profile));
    if (!IsSsoProfile(profile)) {
      return MakeError(ErrorCode::kNotFound, "not an SSO profile");
    }
    return UnsupportedSsoProfileError(files_.profile);
  }

 private:
  AwsSharedFiles files_;
};

}  // namespace

bool IsSsoProfile(const AwsProfile& profile) {
  return profile.Has("sso_session") || profile.Has("sso_start_url") ||
         profile.Has("sso_account_id") || profile.Has("sso_role_name");
}

Error UnsupportedSsoProfileError(std::string_view name) {
  const std::string quoted = "'" + std::string(name) + "'";
  return MakeError(
      ErrorCode::kInvalidArgument,
      "AWS profile " + quoted +
          " uses IAM Identity Center (SSO), which locksmith does not support: give "
          "it a credential_process (e.g. `aws configure export-credentials --profile " +
          std::string(name) +
          " --format process`), or use role_arn with source_profile, or another "
          "credential source");
}

AwsCredentialSourcePtr MakeSsoProfileSource(AwsSharedFiles files) {
  return std::make_unique<SsoProfileSource>(std::move(files));
}

}  // namespace locksmith::internal
