#include "providers/aws/credentials/container.h"

#include "core/strings.h"

namespace locksmith::internal {
namespace {

bool IsAllowedContainerHost(std::string_view host) {
  return IsLoopbackHost(host) || host == "169.254.170.2" || host == "169.254.170.23" ||
         host == "[fd00:ec2::23]";
}

class ContainerSource : public AwsCredentialSource {
 public:
  ContainerSource(EnvLookup env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::string_view Name() const override { return "container"; }
  Result<AwsCredentials> Fetch() override {
    std::string url;
    if (auto relative = NonEmptyEnv(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = "http://169.254.170.2" + *relative;
    } else if (auto full = NonEmptyEnv(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url = *full;
      LOCKSMITH_ASSIGN_OR_RETURN(UrlParts parts, ParseUrlParts(url));
      if (parts.scheme != "https" && !IsAllowedContainerHost(parts.host)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback / "
                         "container link-local address");
      }
    } else {
      return MakeError(ErrorCode::kNotFound, "no container credentials endpoint configured");
    }
    HttpRequest request("GET", url);
    request.timeout = std::chrono::milliseconds(5000);
    request.max_response_bytes = kMaxCredentialsBody;
    if (auto token_file = NonEmptyEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      LOCKSMITH_ASSIGN_OR_RETURN(
          SecretValue token,
          ReadCredentialFile(*token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
      request.headers.emplace_back("Authorization", std::string(token.RevealUnsafe()));
    } else if (auto token = NonEmptyEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      request.headers.emplace_back("Authorization", *token);
      WipeString(*token);
    }
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
    if (response.status != 200) {
      return MakeError(
          response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
          "container credentials endpoint answered HTTP " + std::to_string(response.status));
    }
    return CredentialsFromJson(response.body, "container");
  }

 private:
  EnvLookup env_;
  HttpClient& http_;
};

}  // namespace

AwsCredentialSourcePtr MakeContainerCredentialSource(EnvLookup env, HttpClient& http) {
  return std::make_unique<ContainerSource>(std::move(env), http);
}

}  // namespace locksmith::internal
