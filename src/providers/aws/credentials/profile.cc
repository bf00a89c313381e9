#include "providers/aws/credentials/profile.h"

#include "providers/aws/credentials/ini.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {
namespace {

class ProfileSource : public AwsCredentialSource {
 public:
  explicit ProfileSource(AwsSharedFiles files) : files_(std::move(files)) {}
  std::string_view Name() const override { return "shared files"; }
  Result<AwsCredentials> Fetch() override {
    auto key_id = ProfileValue(files_, "aws_access_key_id");
    auto secret = ProfileValue(files_, "aws_secret_access_key");
    if (!key_id || !secret) {
      if (secret) {
        WipeString(*secret);
      }
      return MakeError(ErrorCode::kNotFound, "no credentials in profile '" + files_.profile + "'");
    }
    AwsCredentials creds;
    creds.source = "profile " + files_.profile;
    creds.access_key_id = *key_id;
    creds.secret_access_key = SecretValue(*secret);
    WipeString(*secret);
    if (auto token = ProfileValue(files_, "aws_session_token")) {
      creds.session_token = SecretValue(*token);
      WipeString(*token);
    }
    return creds;
  }

 private:
  AwsSharedFiles files_;
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
  auto lookup = [&](const std::filesystem::path& path,
                    const std::string& section) -> std::optional<std::string> {
    auto ini = ReadIniFile(path);
    if (!ini.ok()) {
      return std::nullopt;
    }
    auto s = ini->sections.find(section);
    if (s == ini->sections.end()) {
      return std::nullopt;
    }
    auto k = s->second.find(std::string(key));
    if (k == s->second.end()) {
      return std::nullopt;
    }
    return k->second;
  };
  if (auto value = lookup(files.credentials, files.profile)) {
    return value;
  }
  return lookup(files.config,
                files.profile == "default" ? std::string("default") : "profile " + files.profile);
}

AwsCredentialSourcePtr MakeProfileCredentialSource(AwsSharedFiles files) {
  return std::make_unique<ProfileSource>(std::move(files));
}

}  // namespace locksmith::internal
