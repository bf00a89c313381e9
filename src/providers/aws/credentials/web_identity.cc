#include "providers/aws/credentials/web_identity.h"

#include "providers/aws/credentials/sts_endpoint.h"
#include "providers/aws/credentials/sts_response.h"

namespace locksmith::internal {
namespace {

class WebIdentitySource : public AwsCredentialSource {
 public:
  WebIdentitySource(EnvLookup env, std::string region, AwsEndpointFlags flags, HttpClient& http,
                    Clock& clock)
      : env_(std::move(env)),
        region_(std::move(region)),
        flags_(flags),
        http_(http),
        clock_(clock) {}
  std::string_view Name() const override { return "web identity"; }
  Result<AwsCredentials> Fetch() override {
    auto token_file = NonEmptyEnv(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = NonEmptyEnv(env_, "AWS_ROLE_ARN");
    if (!token_file) {
      return MakeError(ErrorCode::kNotFound, "no web identity configured");
    }
    if (!role_arn) {
      // As botocore: a token file without a role is a configuration to fix, not "no source".
      return MakeError(ErrorCode::kInvalidArgument,
                       "a web identity token file is set (AWS_WEB_IDENTITY_TOKEN_FILE or the "
                       "profile's web_identity_token_file) but no role: set AWS_ROLE_ARN or the "
                       "profile's role_arn");
    }
    std::string session =
        NonEmptyEnv(env_, "AWS_ROLE_SESSION_NAME")
            .value_or("locksmith-" +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         clock_.WallNow().time_since_epoch())
                                         .count()));
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue token,
                               ReadCredentialFile(*token_file, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    LOCKSMITH_ASSIGN_OR_RETURN(AwsEndpoint sts, StsEndpoint(env_, region_, flags_));
    const std::string& endpoint = sts.url;
    HttpRequest request("POST", endpoint + "/");
    request.max_response_bytes = kMaxCredentialsBody;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body =
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + UrlEncode(*role_arn) +
        "&RoleSessionName=" + UrlEncode(session) +
        "&WebIdentityToken=" + UrlEncode(token.RevealUnsafe());
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
    if (response.status != 200) {
      // STS's code and message are quoted only without the token.
      const std::string_view secrets[] = {token.RevealUnsafe()};
      return StsError(response, "STS AssumeRoleWithWebIdentity", secrets);
    }
    return StsCredentialsFromXml(response.body, "web identity", "STS AssumeRoleWithWebIdentity");
  }

 private:
  EnvLookup env_;
  std::string region_;
  AwsEndpointFlags flags_;
  HttpClient& http_;
  Clock& clock_;
};

}  // namespace

AwsCredentialSourcePtr MakeWebIdentityCredentialSource(EnvLookup env, std::string region,
                                                       AwsEndpointFlags flags, HttpClient& http,
                                                       Clock& clock) {
  return std::make_unique<WebIdentitySource>(std::move(env), std::move(region), flags, http, clock);
}

}  // namespace locksmith::internal
