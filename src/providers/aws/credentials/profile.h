// The shared files: which files and profile the SDKs would use, a profile's settings as botocore
// merges them, and the two static-key credential sources (the credentials file, the config file).
#pragma once

#include <filesystem>
#include <map>
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
// [profile name] ([default] for default). nullopt when absent (or a file is malformed).
std::optional<std::string> ProfileValue(const AwsSharedFiles& files, std::string_view key);

// One profile's sections of both files, read once. The values may be keys: wiped when destroyed.
struct AwsProfile {
  std::string name;
  bool exists = false;                                  // a section of that name in either file
  std::map<std::string, std::string> credentials_file;  // [name]
  std::map<std::string, std::string> config_file;       // [profile name], [default]
  AwsProfile() = default;
  AwsProfile(AwsProfile&&) = default;
  AwsProfile& operator=(AwsProfile&&) = default;
  ~AwsProfile();
  // The credentials file's value first, then the config file's (botocore's full_config merge).
  std::optional<std::string> Value(std::string_view key) const;
  bool Has(std::string_view key) const { return Value(key).has_value(); }
};
// Profile `name` (not files.profile) of `files`. Missing files are empty; kInvalidArgument naming
// the file when one is malformed.
Result<AwsProfile> ReadProfile(const AwsSharedFiles& files, std::string_view name);

// Which file a static-key source reads.
enum class AwsProfileFile { kCredentials, kConfig };

// aws_access_key_id / aws_secret_access_key / aws_session_token of files.profile, from one file
// only (botocore's shared-credentials-file and config-file sources). One key without the other is
// kInvalidArgument.
AwsCredentialSourcePtr MakeStaticProfileSource(AwsSharedFiles files, AwsProfileFile which);

}  // namespace locksmith::internal
