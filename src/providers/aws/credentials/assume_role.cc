#include "providers/aws/credentials/assume_role.h"

#include <algorithm>
#include <mutex>

#include "locksmith/random.h"
#include "providers/aws/credentials/container.h"
#include "providers/aws/credentials/environment.h"
#include "providers/aws/credentials/imds.h"
#include "providers/aws/credentials/process.h"
#include "providers/aws/credentials/refreshing.h"
#include "providers/aws/credentials/sso.h"
#include "providers/aws/credentials/sts_endpoint.h"
#include "providers/aws/credentials/sts_response.h"

namespace locksmith::internal {
namespace {

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

// host[:port] of an absolute URL, for the signed Host header.
std::string StsHostHeader(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::size_t end = url.find_first_of("/?#", start);
  return std::string(
      url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

bool HasStaticKeys(const std::map<std::string, std::string>& section) {
  return section.contains("aws_access_key_id") || section.contains("aws_secret_access_key");
}

bool HasStaticKeys(const AwsProfile& profile) {
  return HasStaticKeys(profile.credentials_file) || HasStaticKeys(profile.config_file);
}

// Whether `profile` is one this source assumes (botocore's _has_assume_role_config_vars).
bool IsAssumeRoleProfile(const AwsProfile& profile) {
  return profile.Has("role_arn") && !profile.Has("web_identity_token_file");
}

struct RoleSettings {
  std::string profile;
  std::string role_arn;
  std::string session_name;  // empty: a generated one
  std::string external_id;
  std::optional<int> duration_seconds;
};

// One AssumeRole hop: the role of one profile, signed with the credentials of its source.
class RoleSource : public AwsCredentialSource {
 public:
  RoleSource(RoleSettings settings, AwsCredentialSourcePtr source, std::string source_name,
             const AwsCredentialDeps& deps)
      : settings_(std::move(settings)),
        source_name_(std::move(source_name)),
        source_(std::move(source), deps.clock),  // botocore's 15/10 min
        env_(deps.env),
        region_(deps.region.empty() ? "us-east-1" : deps.region),
        endpoint_flags_(deps.endpoint_flags),
        http_(deps.sts),
        clock_(deps.clock) {}
  std::string_view Name() const override { return "assume role"; }

  Result<AwsCredentials> Fetch() override {
    for (bool retried = false;; retried = true) {
      auto source = source_.Get();
      if (!source.ok()) {
        const Error& error = source.error();
        // Configured sources must answer: "not configured" here is a failure, never a skip.
        ErrorCode code =
            error.code == ErrorCode::kNotFound ? ErrorCode::kUnauthenticated : error.code;
        return MakeError(code, "AWS profile " + Quote(settings_.profile) + ": " + source_name_ +
                                   " gave no credentials to assume " + settings_.role_arn + ": " +
                                   error.message);
      }
      bool source_expired = false;
      auto assumed = AssumeRole(*source, source_expired);
      if (!assumed.ok() && source_expired && !retried) {
        source_.Invalidate();  // the source's temporary credentials expired early
        continue;
      }
      return assumed;
    }
  }

 private:
  // `source_expired`: STS said the source's token expired (worth one fetch of new ones).
  Result<AwsCredentials> AssumeRole(const AwsCredentials& source, bool& source_expired) {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsEndpoint sts, StsEndpoint(env_, region_, endpoint_flags_));
    const std::string& endpoint = sts.url;
    const auto now = clock_.WallNow();
    std::string session = settings_.session_name;
    if (session.empty()) {
      session =
          "locksmith-" +
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    }
    std::string body =
        "Action=AssumeRole&Version=2011-06-15&RoleArn=" + UrlEncode(settings_.role_arn) +
        "&RoleSessionName=" + UrlEncode(session);
    if (!settings_.external_id.empty()) {
      body += "&ExternalId=" + UrlEncode(settings_.external_id);
    }
    if (settings_.duration_seconds) {
      body += "&DurationSeconds=" + std::to_string(*settings_.duration_seconds);
    }
    HttpRequest request("POST", endpoint + "/");
    request.max_response_bytes = kMaxCredentialsBody;
    request.headers.emplace_back("Host", StsHostHeader(endpoint));
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded; charset=utf-8");
    SigV4Request to_sign;
    to_sign.method = "POST";
    to_sign.path = "/";
    to_sign.body = body;
    to_sign.headers = {request.headers.begin(), request.headers.end()};
    SigV4Params params;
    params.region = sts.signing_region;
    params.service = "sts";
    params.time = now;
    LOCKSMITH_ASSIGN_OR_RETURN(SigV4Result signed_request, SignRequest(to_sign, source, params));
    for (auto& header : signed_request.added_headers) {
      request.headers.emplace_back(header.first, header.second);
    }
    request.body = std::move(body);
    const std::string what =
        "AWS profile " + Quote(settings_.profile) + ": STS AssumeRole of " + settings_.role_arn;
    auto response = http_.Send(request);
    if (!response.ok()) {
      return MakeError(response.error().code, what + ": " + response.error().message);
    }
    if (response->status != 200) {
      source_expired = StsXmlElement(response->body, "Code") == "ExpiredToken";
      std::vector<std::string_view> secrets = {source.secret_access_key.RevealUnsafe()};
      if (source.session_token) {
        secrets.push_back(source.session_token->RevealUnsafe());
      }
      return StsError(*response, what, secrets);
    }
    return StsCredentialsFromXml(response->body, "assume role " + settings_.profile, what);
  }

  const RoleSettings settings_;
  const std::string source_name_;  // "source_profile 'dev'", "credential_source Environment"
  RefreshingCredentials source_;
  EnvLookup env_;
  std::string region_;
  AwsEndpointFlags endpoint_flags_;
  HttpClient& http_;
  Clock& clock_;
};

class RoleChainBuilder {
 public:
  RoleChainBuilder(const AwsSharedFiles& files, const AwsCredentialDeps& deps)
      : files_(files), deps_(deps) {}

  // The source of assume-role profile `name`, reached through `visited` (the profiles before it).
  Result<AwsCredentialSourcePtr> Build(const std::string& name, std::vector<std::string> visited) {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, name));
    const std::string quoted = "AWS profile " + Quote(name);
    RoleSettings settings;
    settings.profile = name;
    settings.role_arn = profile.Value("role_arn").value_or("");
    if (settings.role_arn.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, quoted + " has an empty role_arn");
    }
    if (profile.Has("mfa_serial")) {
      return MakeError(ErrorCode::kInvalidArgument,
                       quoted +
                           " sets mfa_serial: locksmith cannot prompt for an MFA code; use a "
                           "credential_process that does, or a role without MFA");
    }
    settings.session_name = profile.Value("role_session_name").value_or("");
    settings.external_id = profile.Value("external_id").value_or("");
    if (auto duration = profile.Value("duration_seconds")) {
      int seconds = 0;
      bool digits = !duration->empty() && duration->size() <= 6 &&
                    std::all_of(duration->begin(), duration->end(),
                                [](char c) { return c >= '0' && c <= '9'; });
      if (digits) {
        seconds = std::stoi(*duration);
      }
      if (!digits || seconds < 900 || seconds > 43200) {
        return MakeError(ErrorCode::kInvalidArgument,
                         quoted +
                             ": duration_seconds must be a number of seconds from 900 to "
                             "43200");
      }
      settings.duration_seconds = seconds;
    }
    auto source_profile = profile.Value("source_profile");
    auto credential_source = profile.Value("credential_source");
    if (source_profile && credential_source) {
      return MakeError(ErrorCode::kInvalidArgument,
                       quoted + " sets both source_profile and credential_source: keep one");
    }
    if (!source_profile && !credential_source) {
      return MakeError(ErrorCode::kInvalidArgument,
                       quoted + " sets role_arn but neither source_profile nor credential_source");
    }
    if (credential_source) {
      LOCKSMITH_ASSIGN_OR_RETURN(AwsCredentialSourcePtr source,
                                 CredentialSource(*credential_source, quoted));
      return AwsCredentialSourcePtr(
          std::make_unique<RoleSource>(std::move(settings), std::move(source),
                                       "credential_source " + *credential_source, deps_));
    }
    visited.push_back(name);
    LOCKSMITH_ASSIGN_OR_RETURN(AwsCredentialSourcePtr source,
                               SourceProfile(*source_profile, name, visited));
    return AwsCredentialSourcePtr(std::make_unique<RoleSource>(
        std::move(settings), std::move(source), "source_profile " + Quote(*source_profile), deps_));
  }

 private:
  Result<AwsCredentialSourcePtr> CredentialSource(const std::string& kind,
                                                  const std::string& quoted) {
    if (kind == "Environment") {
      return MakeEnvCredentialSource(deps_.env);
    }
    if (kind == "Ec2InstanceMetadata") {
      return MakeImdsCredentialSource(deps_.env, deps_.metadata, files_, &deps_.clock,
                                      &SystemRandom());
    }
    if (kind == "EcsContainer") {
      return MakeContainerCredentialSource(deps_.env, deps_.metadata);
    }
    return MakeError(ErrorCode::kInvalidArgument,
                     quoted + ": credential_source '" + kind +
                         "' is not valid (Environment, Ec2InstanceMetadata or EcsContainer)");
  }

  // The credentials of source_profile `name` of profile `parent`.
  Result<AwsCredentialSourcePtr> SourceProfile(const std::string& name, const std::string& parent,
                                               const std::vector<std::string>& visited) {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, name));
    if (!profile.exists) {
      return MakeError(ErrorCode::kInvalidArgument, "the source_profile " + Quote(name) +
                                                        " of AWS profile " + Quote(parent) +
                                                        " does not exist");
    }
    const bool seen = std::find(visited.begin(), visited.end(), name) != visited.end();
    // A profile may name itself to use its own static keys (botocore allows it); any other
    // return to a profile already on the way is a loop.
    const bool self_with_keys = name == parent && HasStaticKeys(profile);
    if (seen && !self_with_keys) {
      std::string path;
      for (const auto& step : visited) {
        path += step + " -> ";
      }
      return MakeError(ErrorCode::kInvalidArgument,
                       "AWS profiles loop through source_profile: " + path + name);
    }
    if (!HasStaticKeys(profile) && IsAssumeRoleProfile(profile)) {
      if (static_cast<int>(visited.size()) >= kMaxRoleChainDepth) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "AWS profile " + Quote(visited.front()) + " chains more than " +
                             std::to_string(kMaxRoleChainDepth) + " roles through source_profile");
      }
      return Build(name, visited);
    }
    // botocore's profile providers without the environment, in their order.
    AwsSharedFiles files = files_;
    files.profile = name;
    if (profile.Has("web_identity_token_file")) {
      return MakeProfileWebIdentitySource(files, deps_, /*use_env=*/false);
    }
    if (IsSsoProfile(profile)) {
      return UnsupportedSsoProfileError(name);
    }
    if (HasStaticKeys(profile.credentials_file)) {
      return MakeStaticProfileSource(files, AwsProfileFile::kCredentials);
    }
    if (profile.Has("credential_process")) {
      return MakeProcessCredentialSource(files, deps_.process_limits);
    }
    if (HasStaticKeys(profile.config_file)) {
      return MakeStaticProfileSource(files, AwsProfileFile::kConfig);
    }
    return MakeError(ErrorCode::kInvalidArgument,
                     "the source_profile " + Quote(name) + " of AWS profile " + Quote(parent) +
                         " has no credentials (keys, credential_process, web identity or "
                         "role_arn)");
  }

  const AwsSharedFiles& files_;
  const AwsCredentialDeps& deps_;
};

class AssumeRoleSource : public AwsCredentialSource {
 public:
  AssumeRoleSource(AwsSharedFiles files, AwsCredentialDeps deps)
      : files_(std::move(files)), deps_(std::move(deps)) {}
  std::string_view Name() const override { return "assume role"; }
  Result<AwsCredentials> Fetch() override {
    std::lock_guard lock(mu_);
    if (built_ == nullptr) {
      LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, files_.profile));
      if (!IsAssumeRoleProfile(profile)) {
        return MakeError(ErrorCode::kNotFound, "no role_arn in the profile");
      }
      LOCKSMITH_ASSIGN_OR_RETURN(built_, RoleChainBuilder(files_, deps_).Build(files_.profile, {}));
    }
    return built_->Fetch();
  }

 private:
  std::mutex mu_;
  const AwsSharedFiles files_;
  const AwsCredentialDeps deps_;
  AwsCredentialSourcePtr built_;
};

}  // namespace

AwsCredentialSourcePtr MakeAssumeRoleCredentialSource(AwsSharedFiles files,
                                                      AwsCredentialDeps deps) {
  return std::make_unique<AssumeRoleSource>(std::move(files), std::move(deps));
}

}  // namespace locksmith::internal
