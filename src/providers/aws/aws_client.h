// SecretsManagerClient: one Secrets Manager call over awsJson1.1 (POST /, X-Amz-Target,
// SigV4-signed): one attempt per call (the runtime retries; throttling, 5xx and network failures
// map to retryable codes), one re-signed request with refreshed credentials after an expired-token
// answer, and the mapping of AWS error types onto locksmith error codes. Knows nothing about names,
// stages or the Provider interface.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/scrub.h"
#include "locksmith/clock.h"
#include "locksmith/result.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/endpoints.h"
#include "providers/aws/sigv4.h"
#include "transport/http_client.h"

namespace locksmith::internal {

// A parsed 2xx answer; its JSON is wiped on destruction.
struct AwsReply {
  AwsReply() = default;
  AwsReply(AwsReply&&) = default;
  AwsReply& operator=(AwsReply&&) = default;
  ~AwsReply();
  nlohmann::json json;
};

// `endpoint_url` without a trailing slash (FIPS and dual-stack do not apply to it, as in the
// SDKs), else the region's Secrets Manager endpoint with `flags` (providers/aws/endpoints.h).
// kInvalidArgument for no region and no URL, a URL that is not http(s), or a variant the region's
// partition does not support.
Result<std::string> ResolveSecretsManagerEndpoint(std::string_view endpoint_url,
                                                  std::string_view region, AwsEndpointFlags flags);

// "true" / "false" (any case; empty: leave `flag` alone) into `flag`; kInvalidArgument naming
// `what` otherwise.
Result<void> ParseEndpointFlag(std::string_view text, std::string_view what, bool& flag);

// The signed HTTP request for operation `op` ("GetSecretValue") with JSON `body`.
Result<HttpRequest> BuildSecretsManagerRequest(std::string_view endpoint, std::string_view region,
                                               std::string_view op, std::string_view body,
                                               const AwsCredentials& credentials,
                                               std::chrono::system_clock::time_point now);

// The error type of a failed answer: "__type" of the JSON body, else X-Amzn-Errortype, with any
// "namespace#" prefix and ":suffix" removed; empty if neither is there.
std::string AwsErrorType(const HttpResponse& response);

// The locksmith error for a failed answer. `what` says what was being done ("reading 'x'").
// The code follows AWS's error type and the HTTP status. The message holds the type when it is
// an identifier free of `secrets` (core/scrub.h SafeErrorCode) and, for BackendText::kScrubbed,
// AWS's message through ScrubBackendText with `secrets`; never for kOmit.
Error AwsError(const HttpResponse& response, std::string_view what, BackendText text,
               std::span<const std::string_view> secrets);

bool IsExpiredCredentialType(std::string_view type);

class SecretsManagerClient {
 public:
  struct Options {
    std::string endpoint;
    std::string region;
    std::chrono::milliseconds timeout = std::chrono::seconds(30);
  };
  SecretsManagerClient(Options options, HttpClient& http, RefreshingCredentials& credentials,
                       Clock& clock);

  // One request (two when the first is refused for expired credentials: refreshed and re-signed).
  // `body` is JSON text (may hold a secret value: it is wiped); `values` are the secret values it
  // carries. Errors: the mapped AWS error (kThrottled, kUnavailable for 5xx), transport errors
  // (kUnavailable, kDeadlineExceeded), kUnavailable for a malformed 2xx body. Only the read
  // operations (GetSecretValue, DescribeSecret, ListSecrets, BatchGetSecretValue) quote AWS's
  // message, scrubbed of the credentials; the others never do.
  Result<AwsReply> Call(std::string_view op, std::string body, std::string_view what,
                        std::span<const std::string_view> values = {});

  // The error for one failed entry of a BatchGetSecretValue answer (its ErrorCode and Message),
  // the message scrubbed as a read's.
  Error EntryError(std::string_view type, std::string_view message, std::string_view what);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  static std::vector<std::string_view> CredentialSecrets(const AwsCredentials& credentials);

  const Options options_;
  HttpClient& http_;
  RefreshingCredentials& credentials_;
  Clock& clock_;
};

}  // namespace locksmith::internal
