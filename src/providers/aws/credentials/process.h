// The credential_process source: the profile's configured command, run without a shell (split as
// shlex.split does, as botocore runs it), answering the SDKs' JSON on stdout.
#pragma once

#include "core/subprocess.h"  // SubprocessLimits
#include "providers/aws/credentials/profile.h"
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// credential_process of files.profile: kNotFound when the profile has none. Its stdout must be
// {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"? (RFC 3339)}
// within `limits` (size and time). A non-zero exit is kUnauthenticated quoting its stderr
// scrubbed of anything shaped like a key; a bad answer kUnauthenticated; a command that cannot be
// split or started kInvalidArgument; a timeout kDeadlineExceeded. Errors name the profile, never
// the command's arguments.
AwsCredentialSourcePtr MakeProcessCredentialSource(AwsSharedFiles files,
                                                   SubprocessLimits limits = {});

}  // namespace locksmith::internal
