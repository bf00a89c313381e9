#include "providers/aws/credentials/profile.h"

#include "providers/aws/credentials/ini.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {
namespace {

std::string ConfigSectionName(std::string_view profile) {
  return profile == "default" ? std::string("default") : "profile " + std::string(profile);
}

void WipeMap(std::map<std::string, std::string>& values) {
  for (auto& [key, value] : values) {
    WipeString(value);
  }
}

std::optional<std::string> MapValue(const std::map<std::string, std::string>& values,
                                    std::string_view key) {
  auto it = values.find(std::string(key));
  if (it == values.end()) {
    return std::nullopt;
  }
  return it->second;
}

class StaticProfileSource : public AwsCredentialSource {
 public:
  StaticProfileSource(AwsSharedFiles files, AwsProfileFile which)
      : files_(std::move(files)), which_(which) {}
  std::string_view Name() const override {
    return which_ == AwsProfileFile::kCredentials ? "shared credentials file" : "config file";
  }
  Result<AwsCredentials> Fetch() override {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, files_.profile));
    const auto& values =
        which_ == AwsProfileFile::kCredentials ? profile.credentials_file : profile.config_file;
    auto key_id = MapValue(values, "aws_access_key_id");
    auto secret = MapValue(values, "aws_secret_access_key");
    if (!key_id && !secret) {
      return MakeError(ErrorCode::kNotFound, "no credentials in profile '" + files_.profile + "'");
    }
    if (!key_id || !secret || key_id->empty() || secret->empty()) {
      if (secret) {
        WipeString(*secret);
      }
      return MakeError(ErrorCode::kInvalidArgument,
                       "profile '" + files_.profile + "' in " +
                           (which_ == AwsProfileFile::kCredentials ? files_.credentials.string()
                                                                   : files_.config.string()) +
                           " needs both aws_access_key_id and aws_secret_access_key");
    }
    AwsCredentials creds;
    creds.source = "profile " + files_.profile;
    creds.access_key_id = *key_id;
    creds.secret_access_key = SecretValue(*secret);
    WipeString(*secret);
    if (auto token = MapValue(values, "aws_session_token")) {
      creds.session_token = SecretValue(*token);
      WipeString(*token);
    }
    return creds;
  }

 private:
  AwsSharedFiles files_;
  AwsProfileFile which_;
};

}  // namespace

AwsSharedFiles ResolveSharedFiles(const EnvLookup& env, std::string_view profile_override) {
  AwsSharedFiles files;
  // Without HOME there are no default files (not ".aws/..." relative to the working directory).
  auto home = NonEmptyEnv(env, "HOME");
  auto in_home = [&](const char* name) {
    return home ? (std::filesystem::path(*home) / ".aws" / name).string() : std::string();
  };
  files.credentials =
      NonEmptyEnv(env, "AWS_SHARED_CREDENTIALS_FILE").value_or(in_home("credentials"));
  files.config = NonEmptyEnv(env, "AWS_CONFIG_FILE").value_or(in_home("config"));
  files.profile = !profile_override.empty() ? std::string(profile_override)
                                            : NonEmptyEnv(env, "AWS_PROFILE").value_or("default");
  return files;
}

std::optional<std::string> ProfileValue(const AwsSharedFiles& files, std::string_view key) {
  auto profile = ReadProfile(files, files.profile);
  if (!profile.ok()) {
    return std::nullopt;
  }
  return profile->Value(key);
}

AwsProfile::~AwsProfile() {
  WipeMap(credentials_file);
  WipeMap(config_file);
}

std::optional<std::string> AwsProfile::Value(std::string_view key) const {
  if (auto value = MapValue(credentials_file, key)) {
    return value;
  }
  return MapValue(config_file, key);
}

Result<AwsProfile> ReadProfile(const AwsSharedFiles& files, std::string_view name) {
  AwsProfile profile;
  profile.name = std::string(name);
  auto read = [&](const std::filesystem::path& path, const std::string& section,
                  std::map<std::string, std::string>& into) -> Result<void> {
    if (path.empty()) {
      return {};
    }
    auto ini = ReadIniFile(path);
    if (!ini.ok()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "AWS shared file " + path.string() + ": " + ini.error().message);
    }
    auto it = ini->sections.find(section);
    if (it != ini->sections.end()) {
      profile.exists = true;
      into = it->second;  // the IniFile wipes its copy
    }
    return {};
  };
  LOCKSMITH_RETURN_IF_ERROR(read(files.credentials, profile.name, profile.credentials_file));
  LOCKSMITH_RETURN_IF_ERROR(read(files.config, ConfigSectionName(name), profile.config_file));
  return profile;
}

AwsCredentialSourcePtr MakeStaticProfileSource(AwsSharedFiles files, AwsProfileFile which) {
  return std::make_unique<StaticProfileSource>(std::move(files), which);
}

}  // namespace locksmith::internal
