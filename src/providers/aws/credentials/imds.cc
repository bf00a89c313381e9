#include "providers/aws/credentials/imds.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>

#include "core/strings.h"
#include "locksmith/log.h"

namespace locksmith::internal {
namespace {

// botocore's ec2_credential_refresh_window (its advisory refresh time) and the jitter it adds
// when IMDS serves credentials that expire within it.
constexpr std::chrono::seconds kImdsStaleWindow = std::chrono::minutes(15);
constexpr std::uint64_t kImdsJitterMinSeconds = 120;
constexpr std::uint64_t kImdsJitterSpanSeconds = 481;  // 120..600 s, as random.randint(120, 600)

constexpr char kImdsHopLimitHint[] =
    "; inside a container on EC2 raise the instance's metadata hop limit to 2 "
    "(HttpPutResponseHopLimit)";

struct ImdsSettingText {
  std::string value;
  std::string from;  // the variable, or "<key> in profile '<name>'"
};

std::optional<ImdsSettingText> ImdsSettingLookup(const EnvLookup& env, const AwsSharedFiles* files,
                                                 std::string_view variable, std::string_view key) {
  if (auto value = NonEmptyEnv(env, variable)) {
    return ImdsSettingText{std::move(*value), std::string(variable)};
  }
  if (files != nullptr) {
    if (auto value = ProfileValue(*files, key); value && !value->empty()) {
      return ImdsSettingText{std::move(*value),
                             std::string(key) + " in profile '" + files->profile + "'"};
    }
  }
  return std::nullopt;
}

Result<int> ImdsWholeNumber(const ImdsSettingText& setting, int max, std::string_view unit) {
  int number = 0;
  const char* end = setting.value.data() + setting.value.size();
  auto [ptr, ec] = std::from_chars(setting.value.data(), end, number);
  if (ec != std::errc() || ptr != end || number < 1 || number > max) {
    return MakeError(ErrorCode::kInvalidArgument, setting.from + " must be a whole number of " +
                                                      std::string(unit) + " from 1 to " +
                                                      std::to_string(max));
  }
  return number;
}

// Why there is no session token, and whether the last try never reached IMDS at all.
struct ImdsTokenOutcome {
  ImdsTokenOutcome() = default;
  ImdsTokenOutcome(ImdsTokenOutcome&&) = default;
  ImdsTokenOutcome& operator=(ImdsTokenOutcome&&) = default;
  ~ImdsTokenOutcome() {
    if (token) {
      WipeString(*token);
    }
  }
  std::optional<std::string> token;
  std::string why_none;  // "was answered HTTP 403", "timed out", ...
  bool unreachable = false;
};

bool IsImdsTransportRetry(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kDeadlineExceeded;
}

class ImdsSource : public AwsCredentialSource {
 public:
  ImdsSource(EnvLookup env, HttpClient& http, std::optional<AwsSharedFiles> files, Clock* clock,
             Random* random)
      : env_(std::move(env)),
        http_(http),
        files_(std::move(files)),
        clock_(clock),
        random_(random) {}
  std::string_view Name() const override { return "imds"; }

  Result<AwsCredentials> Fetch() override {
    LOCKSMITH_ASSIGN_OR_RETURN(ImdsSettings settings,
                               ResolveImdsSettings(env_, files_ ? &*files_ : nullptr));
    if (settings.disabled) {
      return MakeError(ErrorCode::kNotFound, "IMDS disabled");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(ImdsTokenOutcome token, FetchToken(settings));
    if (!token.token && settings.v1_disabled) {
      // botocore: "Unable to retrieve token for use in IMDSv2 call and IMDSv1 has been disabled".
      return MakeError(ErrorCode::kUnauthenticated,
                       "IMDS: no session token (the token request " + token.why_none +
                           ") and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED or "
                           "ec2_metadata_v1_disabled)" +
                           kImdsHopLimitHint + ", or off EC2 configure another credential source");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse role,
                               Get(settings, token, "/latest/meta-data/iam/security-credentials/"));
    std::string role_name(Trim(std::string_view(role.body).substr(0, role.body.find('\n'))));
    if (role_name.empty()) {
      return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(
        HttpResponse answer,
        Get(settings, token, "/latest/meta-data/iam/security-credentials/" + UrlEncode(role_name)));
    LOCKSMITH_ASSIGN_OR_RETURN(AwsCredentials creds, CredentialsFromJson(answer.body, "imds"));
    if (!token.token && !said_v1_.exchange(true)) {
      Logger()->info(
          "IMDS credentials fetched without a session token (IMDSv1): the token "
          "request {}",
          token.why_none);
    }
    ExtendNearExpiry(creds);
    return creds;
  }

 private:
  // botocore's _fetch_metadata_token: 403/404/405 and a timeout go on without a token at once;
  // a connection failure or any other status is tried `attempts` times, then goes on without;
  // 400 is an error.
  Result<ImdsTokenOutcome> FetchToken(const ImdsSettings& settings) {
    ImdsTokenOutcome out;
    for (int attempt = 0; attempt < settings.attempts; ++attempt) {
      HttpRequest request("PUT", settings.endpoint + "/latest/api/token");
      request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
      request.timeout = settings.timeout;
      request.max_response_bytes = kMaxCredentialsBody;
      auto response = http_.Send(request);
      if (!response.ok()) {
        if (!IsImdsTransportRetry(response.error().code)) {
          return MakeError(response.error().code,
                           "IMDS token request: " + response.error().message);
        }
        out.unreachable = true;
        if (response.error().code == ErrorCode::kDeadlineExceeded) {
          out.why_none = "timed out";
          return out;
        }
        out.why_none = "failed (" + response.error().message + ")";
        continue;
      }
      out.unreachable = false;
      if (response->status == 200 && !response->body.empty()) {
        out.token = std::move(response->body);
        return out;
      }
      if (response->status == 400) {
        return MakeError(ErrorCode::kUnauthenticated, "IMDS refused the token request (HTTP 400)");
      }
      out.why_none = "was answered HTTP " + std::to_string(response->status);
      if (response->status == 403 || response->status == 404 || response->status == 405) {
        return out;
      }
    }
    return out;
  }

  // botocore's _get_request: a connection failure, a non-200 or an empty answer is tried
  // `attempts` times.
  Result<HttpResponse> Get(const ImdsSettings& settings, const ImdsTokenOutcome& token,
                           const std::string& path) {
    std::optional<Error> failed;
    int status = 0;
    for (int attempt = 0; attempt < settings.attempts; ++attempt) {
      HttpRequest request("GET", settings.endpoint + path);
      if (token.token) {
        request.headers.emplace_back("X-aws-ec2-metadata-token", *token.token);
      }
      request.timeout = settings.timeout;
      request.max_response_bytes = kMaxCredentialsBody;
      auto response = http_.Send(request);
      if (!response.ok()) {
        if (!IsImdsTransportRetry(response.error().code)) {
          return std::move(response).error();
        }
        failed = std::move(response).error();
        continue;
      }
      if (response->status == 200 && !response->body.empty()) {
        return std::move(response).value();
      }
      failed.reset();
      status = response->status;
    }
    if (failed) {
      if (!token.token && token.unreachable) {
        // Neither the PUT nor the GET reached anything: not on EC2.
        return MakeError(ErrorCode::kNotFound, "IMDS not reachable");
      }
      return *std::move(failed);
    }
    if (status == 404 || status == 200) {
      return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
    }
    if (status == 401 && !token.token) {
      return MakeError(ErrorCode::kUnauthenticated,
                       "IMDS requires a session token (IMDSv2) and the token request " +
                           token.why_none + kImdsHopLimitHint);
    }
    return MakeError(status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
                     "IMDS answered HTTP " + std::to_string(status));
  }

  // botocore's _evaluate_expiration (IMDS static stability).
  void ExtendNearExpiry(AwsCredentials& creds) {
    if (clock_ == nullptr || random_ == nullptr || !creds.expiration) {
      return;
    }
    const std::chrono::seconds window =
        kImdsStaleWindow +
        std::chrono::seconds(kImdsJitterMinSeconds + random_->Uniform(kImdsJitterSpanSeconds));
    const auto now = clock_->WallNow();
    if (now >= *creds.expiration - window) {
      creds.expiration = now + window;
      Logger()->info(
          "IMDS served credentials that expire within {} minutes: using them until it is asked "
          "again in {} minutes",
          std::chrono::duration_cast<std::chrono::minutes>(window).count(),
          std::chrono::duration_cast<std::chrono::minutes>(window - kImdsStaleWindow).count());
    }
  }

  const EnvLookup env_;
  HttpClient& http_;
  const std::optional<AwsSharedFiles> files_;
  Clock* const clock_;
  Random* const random_;
  std::atomic<bool> said_v1_{false};
};

}  // namespace

Result<ImdsSettings> ResolveImdsSettings(const EnvLookup& env, const AwsSharedFiles* files) {
  ImdsSettings settings;
  if (auto disabled = NonEmptyEnv(env, "AWS_EC2_METADATA_DISABLED")) {
    settings.disabled = ToLower(*disabled) == "true";
  }
  if (auto v1 = ImdsSettingLookup(env, files, "AWS_EC2_METADATA_V1_DISABLED",
                                  "ec2_metadata_v1_disabled")) {
    const std::string value = ToLower(v1->value);
    if (value != "true" && value != "false") {
      // Stricter than botocore (anything but "true" is false there): a typo must not quietly
      // leave IMDSv1 on.
      return MakeError(ErrorCode::kInvalidArgument, v1->from + " must be true or false");
    }
    settings.v1_disabled = value == "true";
  }
  if (auto endpoint = ImdsSettingLookup(env, files, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                        "ec2_metadata_service_endpoint")) {
    settings.endpoint = std::move(endpoint->value);
    while (!settings.endpoint.empty() && settings.endpoint.back() == '/') {
      settings.endpoint.pop_back();
    }
  }
  if (auto timeout = ImdsSettingLookup(env, files, "AWS_METADATA_SERVICE_TIMEOUT",
                                       "metadata_service_timeout")) {
    LOCKSMITH_ASSIGN_OR_RETURN(int seconds, ImdsWholeNumber(*timeout, 3600, "seconds"));
    settings.timeout = std::chrono::seconds(seconds);
  }
  if (auto attempts = ImdsSettingLookup(env, files, "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                                        "metadata_service_num_attempts")) {
    LOCKSMITH_ASSIGN_OR_RETURN(settings.attempts, ImdsWholeNumber(*attempts, 100, "attempts"));
  }
  return settings;
}

AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http,
                                                std::optional<AwsSharedFiles> files, Clock* clock,
                                                Random* random) {
  return std::make_unique<ImdsSource>(std::move(env), http, std::move(files), clock, random);
}

}  // namespace locksmith::internal
