// HttpClient: the HTTP transport the network back ends (Vault, later AWS) talk through. An
// interface so tests can inject failures; CurlHttpClient (curl_http_client.h) is the real one.
// Request and response bodies may carry secrets: both types are move-only and wipe their body
// when destroyed. Nothing here logs a body or a header value.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strings.h"  // IsLoopbackHost, for the URL checks of every client
#include "locksmith/result.h"

namespace locksmith::internal {

// Orders header names case-insensitively, as HTTP compares them.
struct HeaderNameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
using HttpHeaders = std::multimap<std::string, std::string, HeaderNameLess>;

// Overwrites `text` (its whole buffer, including any small-string storage) with zeros.
void WipeString(std::string& text);

struct HttpRequest {
  HttpRequest() = default;
  HttpRequest(std::string method_in, std::string url_in)
      : method(std::move(method_in)), url(std::move(url_in)) {}
  HttpRequest(HttpRequest&&) = default;
  HttpRequest& operator=(HttpRequest&&) = default;
  HttpRequest(const HttpRequest&) = delete;
  HttpRequest& operator=(const HttpRequest&) = delete;
  ~HttpRequest();

  std::string method = "GET";  // any token: GET, POST, LIST, ...
  std::string url;             // absolute http:// or https:// URL
  // Header values may be credentials (X-Vault-Token): they are wiped too.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as is; empty means no body
  // Total time for this request; unset: the client's default.
  std::optional<std::chrono::milliseconds> timeout;
  // The largest response body accepted; unset: the client's cap. A larger client cap still wins
  // when it is the smaller of the two.
  std::optional<std::size_t> max_response_bytes;
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(HttpResponse&&) = default;
  HttpResponse& operator=(HttpResponse&&) = default;
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;
  ~HttpResponse();

  int status = 0;
  HttpHeaders headers;
  std::string body;

  // The first value of header `name` (any case), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The Retry-After header in its delta-seconds form ("120"), capped at a day; nullopt when
  // absent or not a plain number (the HTTP-date form is not read: no back end here sends it).
  std::optional<std::chrono::milliseconds> RetryAfter() const;
};

// Thread-safe: Send may be called from any number of threads at once. Any HTTP status is a
// successful Send; errors are transport failures only:
//   kUnavailable        connection refused or reset, DNS failure, TLS handshake failure
//   kDeadlineExceeded   the connect or total timeout passed
//   kInvalidArgument    a malformed URL or method
//   kFailedPrecondition a request the client's security settings forbid (plain http://)
//   kDataLoss           the response body or headers exceed the client's caps (nothing of the
//                       answer is returned; what was received is wiped)
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};
using HttpClientPtr = std::unique_ptr<HttpClient>;

// Scheme and host of an absolute URL ("https", "vault.example.com"); kInvalidArgument if it is
// not one.
struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // as written, brackets kept for IPv6
};
Result<UrlParts> ParseUrlParts(std::string_view url);

// Percent-encodes one URL path segment or query value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view text);

}  // namespace locksmith::internal
