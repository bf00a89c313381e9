// The shared files credential source: the profile's keys in ~/.aws/credentials and ~/.aws/config
// (or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), and the look-up of other profile settings
// (region).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// The files and profile the SDKs would use: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE,
// else ~/.aws/credentials and ~/.aws/config; AWS_PROFILE else "default".
struct AwsSharedFiles {
  std::filesystem::path credentials;
  std::filesystem::path config;
  std::string profile;
};
AwsSharedFiles ResolveSharedFiles(const EnvLookup& env, std::string_view profile_override);
// A key of the profile: the credentials file's [profile] first, then the config file's
// [profile name] ([default] for default). nullopt when absent.
std::optional<std::string> ProfileValue(const AwsSharedFiles& files, std::string_view key);

// aws_access_key_id / aws_secret_access_key / aws_session_token of the profile.
AwsCredentialSourcePtr MakeProfileCredentialSource(AwsSharedFiles files);

}  // namespace locksmith::internal
