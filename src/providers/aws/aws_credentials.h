// The AWS credential chain, in the SDKs' order: environment, shared files, web identity (STS
// AssumeRoleWithWebIdentity), container endpoint (ECS/EKS), EC2 IMDSv2. Each source is a small
// class; RefreshingCredentials caches what the chain found and fetches again before temporary
// credentials expire (time from the injected Clock). Secret parts travel as SecretValues.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/result.h"
#include "providers/aws/sigv4.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// One place credentials may come from. Fetch() returns kNotFound when the source is not
// configured here (the chain then tries the next one); any other error means it is configured
// but failed. Thread-safe.
class AwsCredentialSource {
 public:
  virtual ~AwsCredentialSource() = default;
  virtual Result<AwsCredentials> Fetch() = 0;
  virtual std::string_view Name() const = 0;
};
using AwsCredentialSourcePtr = std::unique_ptr<AwsCredentialSource>;

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
AwsCredentialSourcePtr MakeEnvCredentialSource(EnvLookup env);

// One INI file: section -> key -> value. Values may be secrets: the whole map is wiped.
struct IniFile {
  std::map<std::string, std::map<std::string, std::string>> sections;
  ~IniFile();
};
Result<IniFile> ParseIniText(std::string_view text);

// The files and profile the SDKs would use: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE,
// else ~/.aws/credentials and ~/.aws/config; AWS_PROFILE else "default".
struct AwsSharedFiles {
  std::filesystem::path credentials;
  std::filesystem::path config;
  std::string profile;
};
AwsSharedFiles ResolveSharedFiles(const EnvLookup& env, std::string_view profile_override);
// A key of the profile: the credentials file's [profile] first, then the config file's
// [profile name] ([default] for default). nullopt when absent.
std::optional<std::string> ProfileValue(const AwsSharedFiles& files, std::string_view key);

// aws_access_key_id / aws_secret_access_key / aws_session_token of the profile.
AwsCredentialSourcePtr MakeProfileCredentialSource(AwsSharedFiles files);

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) through STS
// AssumeRoleWithWebIdentity (an unsigned call) at AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL /
// https://sts.<region>.amazonaws.com.
AwsCredentialSourcePtr MakeWebIdentityCredentialSource(EnvLookup env, std::string region,
                                                       HttpClient& http, Clock& clock);

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2) or _FULL_URI (https, or http
// to loopback / the ECS and EKS link-local addresses), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
// or AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header.
AwsCredentialSourcePtr MakeContainerCredentialSource(EnvLookup env, HttpClient& http);

// EC2 IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254): a session
// token by PUT, then the instance role's credentials. Off when AWS_EC2_METADATA_DISABLED=true.
// An unreachable IMDS is kNotFound (not on EC2).
AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http);

// Tries `sources` in order and keeps the first that answers (as the SDKs do). No source:
// kUnauthenticated "no AWS credentials found".
class AwsCredentialChain : public AwsCredentialSource {
 public:
  explicit AwsCredentialChain(std::vector<AwsCredentialSourcePtr> sources);
  Result<AwsCredentials> Fetch() override;
  std::string_view Name() const override { return "chain"; }

 private:
  std::mutex mu_;
  std::vector<AwsCredentialSourcePtr> sources_;
  AwsCredentialSource* chosen_ = nullptr;
};

// Caches credentials; Get() fetches again when none are held, when Invalidate() was called, or
// when they expire within `refresh_window`. If a refresh fails while the held credentials are
// still valid they are kept (logged at warn). Thread-safe.
class RefreshingCredentials {
 public:
  RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                        std::chrono::seconds refresh_window);
  Result<AwsCredentials> Get();
  void Invalidate();
  int fetch_count() const;

 private:
  const AwsCredentialSourcePtr source_;
  Clock& clock_;
  const std::chrono::seconds refresh_window_;
  mutable std::mutex mu_;
  std::optional<AwsCredentials> held_;
  int fetches_ = 0;
};

}  // namespace locksmith::internal
