// The assume-role source: a profile's role_arn assumed through STS AssumeRole (SigV4-signed with
// the credentials of its source_profile or credential_source), as botocore's AssumeRoleProvider.
#pragma once

#include "providers/aws/credentials/profile.h"
#include "providers/aws/credentials/profile_chain.h"  // AwsCredentialDeps
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// Roles chained through source_profile at most this deep.
inline constexpr int kMaxRoleChainDepth = 8;

// kNotFound unless files.profile sets role_arn (without web_identity_token_file, which is web
// identity's). Then STS AssumeRole at StsEndpoint with RoleArn, RoleSessionName
// (role_session_name, else "locksmith-<epoch>"), ExternalId (external_id), DurationSeconds
// (duration_seconds, 900-43200), signed with the source credentials:
//   source_profile      its static keys, its credential_process or web identity, or its own
//                       role_arn (chained, cycles and depth beyond kMaxRoleChainDepth refused);
//                       a profile naming itself uses its own static keys
//   credential_source   Environment, Ec2InstanceMetadata or EcsContainer
// The source credentials are kept and fetched again before they expire. Errors name the profile
// and never hold a key: kInvalidArgument for a configuration to fix (both or neither source,
// unknown credential_source, missing source profile, a cycle, mfa_serial, SSO, a bad
// duration_seconds, STS ValidationError), kPermissionDenied for STS AccessDenied, kUnavailable
// for STS 5xx, kUnauthenticated for other refusals. A failed build is not kept: the next Fetch
// reads the files again.
AwsCredentialSourcePtr MakeAssumeRoleCredentialSource(AwsSharedFiles files, AwsCredentialDeps deps);

}  // namespace locksmith::internal
