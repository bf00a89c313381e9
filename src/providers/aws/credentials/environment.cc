#include "providers/aws/credentials/environment.h"

#include "core/time_format.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {
namespace {

class EnvSource : public AwsCredentialSource {
 public:
  explicit EnvSource(EnvLookup env) : env_(std::move(env)) {}
  std::string_view Name() const override { return "environment"; }
  Result<AwsCredentials> Fetch() override {
    auto key_id = NonEmptyEnv(env_, "AWS_ACCESS_KEY_ID");
    auto secret = NonEmptyEnv(env_, "AWS_SECRET_ACCESS_KEY");
    if (!key_id || !secret) {
      if (secret) {
        WipeString(*secret);
      }
      if (key_id.has_value() != secret.has_value()) {
        return MakeError(ErrorCode::kUnauthenticated,
                         "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set");
      }
      return MakeError(ErrorCode::kNotFound, "no credentials in the environment");
    }
    AwsCredentials creds;
    creds.source = "environment";
    creds.access_key_id = *key_id;
    creds.secret_access_key = SecretValue(*secret);
    WipeString(*secret);
    if (auto token = NonEmptyEnv(env_, "AWS_SESSION_TOKEN")) {
      creds.session_token = SecretValue(*token);
      WipeString(*token);
    }
    if (auto expiry = NonEmptyEnv(env_, "AWS_CREDENTIAL_EXPIRATION")) {
      creds.expiration = ParseRfc3339(*expiry);
    }
    return creds;
  }

 private:
  EnvLookup env_;
};

}  // namespace

AwsCredentialSourcePtr MakeEnvCredentialSource(EnvLookup env) {
  return std::make_unique<EnvSource>(std::move(env));
}

}  // namespace locksmith::internal
