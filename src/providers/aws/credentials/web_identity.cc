#include "providers/aws/credentials/web_identity.h"

#include "core/scrub.h"
#include "core/time_format.h"

namespace locksmith::internal {
namespace {

std::string XmlElement(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  std::string close = "</" + std::string(name) + ">";
  std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) {
    return {};
  }
  begin += open.size();
  std::size_t end = xml.find(close, begin);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(xml.substr(begin, end - begin));
}

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
    if (!token_file || !role_arn) {
      return MakeError(ErrorCode::kNotFound, "no web identity configured");
    }
    std::string session =
        NonEmptyEnv(env_, "AWS_ROLE_SESSION_NAME")
            .value_or("locksmith-" +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         clock_.WallNow().time_since_epoch())
                                         .count()));
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue token,
                               ReadCredentialFile(*token_file, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    std::string endpoint;
    if (auto url = NonEmptyEnv(env_, "AWS_ENDPOINT_URL_STS")) {
      endpoint = *url;
    } else if (auto any = NonEmptyEnv(env_, "AWS_ENDPOINT_URL")) {
      endpoint = *any;
    } else {
      LOCKSMITH_ASSIGN_OR_RETURN(AwsEndpoint sts,
                                 ResolveAwsEndpoint(AwsService::kSts, region_, flags_));
      endpoint = std::move(sts.url);
    }
    while (!endpoint.empty() && endpoint.back() == '/') {
      endpoint.pop_back();
    }
    HttpRequest request("POST", endpoint + "/");
    request.max_response_bytes = kMaxCredentialsBody;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body =
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + UrlEncode(*role_arn) +
        "&RoleSessionName=" + UrlEncode(session) +
        "&WebIdentityToken=" + UrlEncode(token.RevealUnsafe());
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
    if (response.status != 200) {
      // STS's code is quoted only when it is shaped like one and does not hold the token.
      const std::string_view secrets[] = {token.RevealUnsafe()};
      std::string code = SafeErrorCode(XmlElement(response.body, "Code"), secrets);
      ErrorCode mapped = response.status >= 500 || code == "IDPCommunicationError"
                             ? ErrorCode::kUnavailable
                             : ErrorCode::kUnauthenticated;
      return MakeError(mapped, "STS AssumeRoleWithWebIdentity failed with HTTP " +
                                   std::to_string(response.status) +
                                   (code.empty() ? "" : " (" + code + ")"));
    }
    AwsCredentials creds;
    creds.source = "web identity";
    creds.access_key_id = XmlElement(response.body, "AccessKeyId");
    std::string secret = XmlElement(response.body, "SecretAccessKey");
    std::string session_token = XmlElement(response.body, "SessionToken");
    creds.secret_access_key = SecretValue(secret);
    creds.session_token = SecretValue(session_token);
    WipeString(secret);
    WipeString(session_token);
    creds.expiration = ParseRfc3339(XmlElement(response.body, "Expiration"));
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
      return MakeError(ErrorCode::kUnauthenticated,
                       "STS AssumeRoleWithWebIdentity answered without credentials");
    }
    return creds;
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
