#include "providers/aws/credentials/imds.h"

#include "core/strings.h"

namespace locksmith::internal {
namespace {

class ImdsSource : public AwsCredentialSource {
 public:
  ImdsSource(EnvLookup env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::string_view Name() const override { return "imds"; }
  Result<AwsCredentials> Fetch() override {
    auto disabled = NonEmptyEnv(env_, "AWS_EC2_METADATA_DISABLED");
    if (disabled && (*disabled == "true" || *disabled == "TRUE" || *disabled == "True")) {
      return MakeError(ErrorCode::kNotFound, "IMDS disabled");
    }
    std::string endpoint =
        NonEmptyEnv(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!endpoint.empty() && endpoint.back() == '/') {
      endpoint.pop_back();
    }
    HttpRequest token_request("PUT", endpoint + "/latest/api/token");
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    token_request.timeout = std::chrono::milliseconds(1000);
    token_request.max_response_bytes = kMaxCredentialsBody;
    auto token = http_.Send(token_request);
    if (!token.ok()) {
      // Not on EC2 (or IMDS unreachable): not a configured source.
      return MakeError(ErrorCode::kNotFound, "IMDS not reachable");
    }
    if (token->status != 200) {
      return MakeError(token->status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
                       "IMDS token request answered HTTP " + std::to_string(token->status));
    }
    auto get = [&](const std::string& path) -> Result<HttpResponse> {
      HttpRequest request("GET", endpoint + path);
      request.headers.emplace_back("X-aws-ec2-metadata-token", token->body);
      request.timeout = std::chrono::milliseconds(1000);
      request.max_response_bytes = kMaxCredentialsBody;
      LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
      if (response.status == 404) {
        return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
      }
      if (response.status != 200) {
        return MakeError(
            response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
            "IMDS answered HTTP " + std::to_string(response.status));
      }
      return response;
    };
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse role,
                               get("/latest/meta-data/iam/security-credentials/"));
    std::string role_name(Trim(std::string_view(role.body).substr(0, role.body.find('\n'))));
    if (role_name.empty()) {
      return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(
        HttpResponse creds,
        get("/latest/meta-data/iam/security-credentials/" + UrlEncode(role_name)));
    return CredentialsFromJson(creds.body, "imds");
  }

 private:
  EnvLookup env_;
  HttpClient& http_;
};

}  // namespace

AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http) {
  return std::make_unique<ImdsSource>(std::move(env), http);
}

}  // namespace locksmith::internal
