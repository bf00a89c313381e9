// SigV4: AWS Signature Version 4 for requests signed in headers, as a pipeline of pure stages
// (canonical request -> string to sign -> signing key -> signature -> Authorization header) so
// each stage can be checked byte for byte against the suite in tests/data/sigv4/v4/. The
// time is an input; derived keys live in SecretValues and scratch buffers are wiped.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

// One set of AWS credentials. Temporary ones carry a session token and an expiry.
struct AwsCredentials {
  std::string access_key_id;  // not secret (it appears in every Authorization header)
  SecretValue secret_access_key;
  std::optional<SecretValue> session_token;
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "environment", "profile default", "imds", ... (for logs)

  AwsCredentials Clone() const;
};

// A request as the signer sees it. `path` is the unencoded path ("/", "/example space/"),
// `query` the raw query string without '?' (its parts may be percent-encoded or not).
struct SigV4Request {
  std::string method;
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // all are signed
  std::string_view body;
};

struct SigV4Params {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  bool normalize_path = true;  // remove dot segments and repeated slashes (all but S3)
  bool sign_body = false;      // add x-amz-content-sha256 (S3 style)
  // Add X-Amz-Security-Token after signing instead of signing it (old STS style).
  bool omit_session_token = false;
};

// Stage helpers.
std::string AmzDate(std::chrono::system_clock::time_point time);  // 20150830T123600Z
std::string AmzDay(std::chrono::system_clock::time_point time);   // 20150830
std::string CredentialScope(std::string_view day, std::string_view region,
                            std::string_view service);
std::string CanonicalUri(std::string_view path, bool normalize);
std::string CanonicalQuery(std::string_view query);
std::string HexSha256(std::string_view data);

struct CanonicalRequest {
  std::string text;
  std::string signed_headers;  // "host;x-amz-date"
};
// Stage 1. `request.headers` must already hold X-Amz-Date (and the token, if signed).
CanonicalRequest BuildCanonicalRequest(const SigV4Request& request, bool normalize_path,
                                       std::string_view payload_hash);
// Stage 2.
std::string BuildStringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);
// Stage 3: HMAC chain "AWS4"+secret -> day -> region -> service -> "aws4_request".
Result<SecretValue> DeriveSigningKey(const SecretValue& secret_access_key, std::string_view day,
                                     std::string_view region, std::string_view service);
// Stage 4: hex HMAC of the string to sign.
Result<std::string> ComputeSignature(const SecretValue& signing_key,
                                     std::string_view string_to_sign);
// Stage 5.
std::string BuildAuthorizationHeader(std::string_view access_key_id, std::string_view scope,
                                     std::string_view signed_headers, std::string_view signature);

// Everything a signing produced (the intermediate stages for tests and debugging).
struct SigV4Result {
  // Headers to add to the request, in order: [X-Amz-Security-Token], X-Amz-Date,
  // [x-amz-content-sha256], Authorization. The token's value is secret; callers wipe these.
  std::vector<std::pair<std::string, std::string>> added_headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;

  SigV4Result() = default;
  SigV4Result(SigV4Result&&) = default;
  SigV4Result& operator=(SigV4Result&&) = default;
  ~SigV4Result();
};

// The whole pipeline. `request.headers` must contain Host.
Result<SigV4Result> SignRequest(const SigV4Request& request, const AwsCredentials& credentials,
                                const SigV4Params& params);

}  // namespace locksmith::internal
