#include "providers/aws/aws_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/json_bounded.h"
#include "core/scrub.h"
#include "core/strings.h"
#include "locksmith/log.h"

namespace locksmith::internal {
namespace {

constexpr std::string_view kService = "secretsmanager";

// The SDKs' throttling error codes (botocore standard retry mode, aws-sdk-go-v2, Java v2).
constexpr std::array<std::string_view, 14> kThrottlingTypes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};
constexpr std::array<std::string_view, 5> kTransientTypes = {
    "RequestTimeout",  "RequestTimeoutException", "InternalServiceError",
    "InternalFailure", "ServiceUnavailable",
};
constexpr std::array<std::string_view, 12> kAuthTypes = {
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
    "ExpiredTokenException",
};

template <std::size_t N>
bool In(const std::array<std::string_view, N>& list, std::string_view type) {
  return std::find(list.begin(), list.end(), type) != list.end();
}

// The operations whose request carries nothing secret and whose failures may quote AWS's
// (scrubbed) message; every other operation writes (a value, or which version is current).
constexpr std::array<std::string_view, 4> kReadOperations = {"GetSecretValue", "DescribeSecret",
                                                             "ListSecrets", "BatchGetSecretValue"};

std::string Authority(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::size_t end = url.find_first_of("/?#", start);
  return std::string(
      url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

}  // namespace

AwsReply::~AwsReply() { WipeJsonStrings(json); }

Result<std::string> ResolveSecretsManagerEndpoint(std::string_view endpoint_url,
                                                  std::string_view region, AwsEndpointFlags flags) {
  if (!endpoint_url.empty()) {
    std::string url(endpoint_url);
    LOCKSMITH_ASSIGN_OR_RETURN(UrlParts parts, ParseUrlParts(url));
    if (parts.scheme != "http" && parts.scheme != "https") {
      return MakeError(ErrorCode::kInvalidArgument, "the Secrets Manager endpoint must be http(s)");
    }
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    return url;
  }
  LOCKSMITH_ASSIGN_OR_RETURN(AwsEndpoint endpoint,
                             ResolveAwsEndpoint(AwsService::kSecretsManager, region, flags));
  return std::move(endpoint.url);
}

Result<void> ParseEndpointFlag(std::string_view text, std::string_view what, bool& flag) {
  const std::string lower = ToLower(text);
  if (lower == "true" || lower == "false") {
    flag = lower == "true";
  } else if (!lower.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " must be true or false");
  }
  return OkResult();
}

Result<HttpRequest> BuildSecretsManagerRequest(std::string_view endpoint, std::string_view region,
                                               std::string_view op, std::string_view body,
                                               const AwsCredentials& credentials,
                                               std::chrono::system_clock::time_point now) {
  HttpRequest request("POST", std::string(endpoint) + "/");
  request.headers.emplace_back("Host", Authority(endpoint));
  request.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  request.headers.emplace_back("X-Amz-Target", "secretsmanager." + std::string(op));
  SigV4Request to_sign;
  to_sign.method = "POST";
  to_sign.path = "/";
  to_sign.body = body;
  for (const auto& header : request.headers) {
    to_sign.headers.push_back(header);
  }
  SigV4Params params;
  params.region = std::string(region);
  params.service = std::string(kService);
  params.time = now;
  LOCKSMITH_ASSIGN_OR_RETURN(SigV4Result signed_request, SignRequest(to_sign, credentials, params));
  for (auto& header : signed_request.added_headers) {
    request.headers.emplace_back(header.first, header.second);
  }
  request.body = std::string(body);
  return request;
}

std::string AwsErrorType(const HttpResponse& response) {
  std::string type;
  nlohmann::json json = ParseUntrustedJsonOrNull(response.body);
  ScopedJsonWipe wipe(json);
  if (json.is_object() && json.contains("__type") && json["__type"].is_string()) {
    type = json["__type"].get<std::string>();
  } else if (auto header = response.Header("X-Amzn-Errortype")) {
    type = std::string(*header);
  } else if (json.is_object() && json.contains("code") && json["code"].is_string()) {
    type = json["code"].get<std::string>();
  }
  if (std::size_t hash = type.rfind('#'); hash != std::string::npos) {
    type = type.substr(hash + 1);
  }
  if (std::size_t colon = type.find(':'); colon != std::string::npos) {
    type = type.substr(0, colon);
  }
  return type;
}

bool IsExpiredCredentialType(std::string_view type) {
  return type == "ExpiredToken" || type == "ExpiredTokenException";
}

Error AwsError(const HttpResponse& response, std::string_view what, BackendText text,
               std::span<const std::string_view> secrets) {
  const std::string type = AwsErrorType(response);
  std::string message;
  if (text == BackendText::kScrubbed) {
    nlohmann::json json = ParseUntrustedJsonOrNull(response.body);
    ScopedJsonWipe wipe(json);
    for (const char* key : {"Message", "message"}) {
      if (json.is_object() && json.contains(key) && json[key].is_string()) {
        message = ScrubBackendText(json[key].get_ref<const std::string&>(), secrets);
        break;
      }
    }
  }
  ErrorCode code;
  if (response.status == 429 || In(kThrottlingTypes, type)) {
    code = ErrorCode::kThrottled;
  } else if (In(kTransientTypes, type)) {
    code = ErrorCode::kUnavailable;
  } else if (In(kAuthTypes, type) || IsExpiredCredentialType(type)) {
    code = ErrorCode::kUnauthenticated;
  } else if (type == "AccessDeniedException" || type == "AccessDenied") {
    code = ErrorCode::kPermissionDenied;
  } else if (type == "ResourceNotFoundException") {
    code = ErrorCode::kNotFound;
  } else if (type == "ResourceExistsException") {
    code = ErrorCode::kAlreadyExists;
  } else if (type == "InvalidParameterException" || type == "ValidationException" ||
             type == "MalformedPolicyDocumentException") {
    code = ErrorCode::kInvalidArgument;
  } else if (type == "InvalidRequestException" || type == "PreconditionNotMetException") {
    code = ErrorCode::kFailedPrecondition;
  } else if (type == "DecryptionFailure") {
    code = ErrorCode::kDataLoss;
  } else if (response.status >= 500) {
    code = ErrorCode::kUnavailable;
  } else if (response.status == 401) {
    code = ErrorCode::kUnauthenticated;
  } else if (response.status == 403) {
    code = ErrorCode::kPermissionDenied;
  } else if (response.status == 404) {
    code = ErrorCode::kNotFound;
  } else {
    code = ErrorCode::kInternal;
  }
  // The type chose the code; it is quoted only if it looks like one and holds no secret.
  std::string out = std::string(what) + ": AWS answered HTTP " + std::to_string(response.status);
  if (std::string safe_type = SafeErrorCode(type, secrets); !safe_type.empty()) {
    out += " " + safe_type;
  }
  if (!message.empty()) {
    out += ": " + message;
  }
  return MakeError(code, std::move(out));
}

SecretsManagerClient::SecretsManagerClient(Options options, HttpClient& http,
                                           RefreshingCredentials& credentials, Clock& clock)
    : options_(std::move(options)), http_(http), credentials_(credentials), clock_(clock) {}

Result<AwsReply> SecretsManagerClient::Call(std::string_view op, std::string body,
                                            std::string_view what,
                                            std::span<const std::string_view> values) {
  struct BodyWiper {
    std::string& body;
    ~BodyWiper() { WipeString(body); }
  } wipe_body{body};
  // One attempt; retrying throttling, 5xx and network errors is the runtime's job. The only
  // second request is the one re-signed with refreshed credentials after an expired-token answer.
  for (bool refreshed = false;; refreshed = true) {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsCredentials credentials, credentials_.Get());
    LOCKSMITH_ASSIGN_OR_RETURN(HttpRequest request,
                               BuildSecretsManagerRequest(options_.endpoint, options_.region, op,
                                                          body, credentials, clock_.WallNow()));
    request.timeout = options_.timeout;
    auto response = http_.Send(request);
    if (!response.ok()) {
      return MakeError(response.error().code, std::string(what) + ": " + response.error().message);
    }
    if (response->status >= 200 && response->status < 300) {
      AwsReply reply;
      auto parsed = ParseUntrustedJson(response->body);
      if (!parsed.ok()) {
        return MakeError(ErrorCode::kUnavailable, std::string(what) +
                                                      ": AWS answered with a malformed body (" +
                                                      parsed.error().message + ")");
      }
      reply.json = std::move(parsed).value();
      if (!reply.json.is_object()) {
        return MakeError(ErrorCode::kUnavailable,
                         std::string(what) + ": AWS answered with a malformed body");
      }
      return reply;
    }
    if (!refreshed && IsExpiredCredentialType(AwsErrorType(*response))) {
      // Temporary credentials expired earlier than we thought: fetch new ones, sign again.
      Logger()->info("{}: AWS credentials expired, refreshing", what);
      credentials_.Invalidate();
      continue;
    }
    // A write's failure never quotes AWS's message (a proxy or a mock may echo the value); a
    // read's is scrubbed of the credentials that signed it.
    const BackendText text = In(kReadOperations, op) ? BackendText::kScrubbed : BackendText::kOmit;
    std::vector<std::string_view> secrets = CredentialSecrets(credentials);
    secrets.insert(secrets.end(), values.begin(), values.end());
    Error error = AwsError(*response, what, text, secrets);
    if (IsRetryable(error.code)) {
      error.retry_after = response->RetryAfter();
    }
    if (const std::string type = AwsErrorType(*response);
        type == "InvalidSignatureException" || type == "SignatureDoesNotMatch") {
      // The signature covers the region too: a regional endpoint refuses a scope for another one
      // ("Credential should be scoped to a valid region"), and a write quotes nothing from AWS.
      error.message += " (the request was signed for region '" + options_.region +
                       "': check AWS_REGION against the endpoint, the secret access key and the "
                       "clock)";
    }
    return error;
  }
}

std::vector<std::string_view> SecretsManagerClient::CredentialSecrets(
    const AwsCredentials& credentials) {
  std::vector<std::string_view> secrets = {credentials.secret_access_key.RevealUnsafe(),
                                           credentials.access_key_id};
  if (credentials.session_token) {
    secrets.push_back(credentials.session_token->RevealUnsafe());
  }
  return secrets;
}

Error SecretsManagerClient::EntryError(std::string_view type, std::string_view message,
                                       std::string_view what) {
  HttpResponse entry;
  entry.status = 400;
  nlohmann::json body = {{"__type", type}, {"Message", message}};
  entry.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto credentials = credentials_.Get();
  if (!credentials.ok()) {
    return AwsError(entry, what, BackendText::kOmit, {});
  }
  return AwsError(entry, what, BackendText::kScrubbed, CredentialSecrets(*credentials));
}

}  // namespace locksmith::internal
