#include "providers/aws/credentials/profile_chain.h"

#include <array>
#include <utility>

#include "providers/aws/credentials/process.h"
#include "providers/aws/credentials/sso.h"
#include "providers/aws/credentials/web_identity.h"

namespace locksmith::internal {
namespace {

// The environment variables of web identity and the profile keys that stand for them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kWebIdentityKeys = {{
    {"AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file"},
    {"AWS_ROLE_ARN", "role_arn"},
    {"AWS_ROLE_SESSION_NAME", "role_session_name"},
}};

}  // namespace

AwsCredentialSourcePtr MakeProfileWebIdentitySource(const AwsSharedFiles& files,
                                                    const AwsCredentialDeps& deps, bool use_env) {
  // The profile's settings stand in for the variables (each on its own, as botocore's
  // _get_config does); every other variable (the STS endpoint) still comes from the environment.
  EnvLookup lookup = [env = deps.env, files,
                      use_env](std::string_view name) -> std::optional<std::string> {
    for (const auto& [variable, key] : kWebIdentityKeys) {
      if (name != variable) {
        continue;
      }
      if (use_env) {
        if (auto value = NonEmptyEnv(env, name)) {
          return value;
        }
      }
      auto profile = ReadProfile(files, files.profile);
      if (!profile.ok()) {
        return std::nullopt;
      }
      return profile->Value(key);
    }
    return env(name);
  };
  return MakeWebIdentityCredentialSource(std::move(lookup), deps.region, deps.endpoint_flags,
                                         deps.sts, deps.clock);
}

std::vector<AwsCredentialSourcePtr> MakeProfileProviders(const AwsSharedFiles& files,
                                                         const AwsCredentialDeps& deps,
                                                         bool use_env) {
  std::vector<AwsCredentialSourcePtr> sources;
  sources.push_back(MakeProfileWebIdentitySource(files, deps, use_env));
  sources.push_back(MakeSsoProfileSource(files));
  sources.push_back(MakeStaticProfileSource(files, AwsProfileFile::kCredentials));
  sources.push_back(MakeProcessCredentialSource(files, deps.process_limits));
  sources.push_back(MakeStaticProfileSource(files, AwsProfileFile::kConfig));
  return sources;
}

}  // namespace locksmith::internal
