// AWS IAM Identity Center (SSO) profiles, which locksmith does not support: a source that turns
// such a profile into a clear configuration error instead of skipping it.
#pragma once

#include "providers/aws/credentials/profile.h"
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// Whether `profile` is an SSO profile (sso_session, sso_start_url, sso_account_id or
// sso_role_name).
bool IsSsoProfile(const AwsProfile& profile);

// The error for SSO profile `name`: kInvalidArgument, naming it and what to use instead.
Error UnsupportedSsoProfileError(std::string_view name);

// kNotFound unless files.profile is an SSO profile; then UnsupportedSsoProfileError.
AwsCredentialSourcePtr MakeSsoProfileSource(AwsSharedFiles files);

}  // namespace locksmith::internal
