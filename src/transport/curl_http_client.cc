#include "transport/curl_http_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <system_error>
#include <vector>

#include "core/strings.h"
#include "locksmith/log.h"

namespace locksmith::internal {
namespace {

// Appends without leaving copies behind: when the buffer must grow, the new one is allocated
// first, the text copied, and the old one wiped before it is freed, so a std::string reallocation
// (which frees without wiping) never happens. Growth doubles but never past `cap`, so a body
// under the cap costs at most about twice its size while it arrives.
void AppendWiping(std::string& buffer, const char* data, std::size_t size, std::size_t cap) {
  if (buffer.size() + size > buffer.capacity()) {
    std::string grown;
    grown.reserve(std::min(std::max(buffer.capacity() * 2, buffer.size() + size), cap));
    grown.append(buffer);
    WipeString(buffer);
    buffer.swap(grown);
  }
  buffer.append(data, size);
}

struct Exchange {
  HttpResponse response;
  std::size_t max_body = 0;
  std::size_t max_header_bytes = 0;
  std::size_t header_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  std::string& body = exchange->response.body;
  if (n > exchange->max_body - body.size()) {
    // Returning less than n makes libcurl abort the transfer (CURLE_WRITE_ERROR).
    exchange->body_too_large = true;
    return 0;
  }
  AppendWiping(body, data, n, exchange->max_body);
  return n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  exchange->header_bytes += size * count;
  if (exchange->header_bytes > exchange->max_header_bytes) {
    exchange->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after a 100 Continue): forget earlier headers.
    exchange->response.headers.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    exchange->response.headers.emplace(std::string(Trim(line.substr(0, colon))),
                                       std::string(Trim(line.substr(colon + 1))));
  }
  return size * count;
}

// A header list whose strings (which may hold tokens) are wiped before libcurl frees them.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() {
    for (curl_slist* it = list_; it != nullptr; it = it->next) {
      OPENSSL_cleanse(it->data, std::strlen(it->data));
    }
    curl_slist_free_all(list_);
  }
  bool Append(const std::string& line) {
    curl_slist* next = curl_slist_append(list_, line.c_str());
    if (next == nullptr) {
      return false;
    }
    list_ = next;
    return true;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {}

  ~CurlHttpClient() override {
    for (CURL* handle : idle_) {
      curl_easy_cleanup(handle);
    }
    if (share_ != nullptr) {
      curl_share_cleanup(share_);
    }
  }

  Result<void> Init() {
    share_ = curl_share_init();
    if (share_ == nullptr) {
      return MakeError(ErrorCode::kInternal, "curl_share_init failed");
    }
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlHttpClient::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlHttpClient::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    return OkResult();
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    LOCKSMITH_ASSIGN_OR_RETURN(UrlParts url, ParseUrlParts(request.url));
    if (url.scheme != "http" && url.scheme != "https") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unsupported URL scheme '" + url.scheme + "' (use https://)");
    }
    if (url.scheme == "http" && !options_.allow_plain_http_non_loopback &&
        !IsLoopbackHost(url.host)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "refusing plain http:// to non-loopback host '" + url.host +
                           "': credentials would travel unencrypted; use https:// or explicitly "
                           "allow plain http");
    }
    if (request.method.empty() || request.method.find_first_of(" \t\r\n") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed HTTP method");
    }

    CURL* handle = Acquire();
    if (handle == nullptr) {
      return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
    }
    Exchange exchange;
    exchange.max_body = std::min(options_.max_response_bytes,
                                 request.max_response_bytes.value_or(options_.max_response_bytes));
    exchange.max_header_bytes = options_.max_response_header_bytes;
    HeaderList headers;
    CURLcode code = Configure(handle, request, headers, exchange, IsLoopbackHost(url.host));
    if (code == CURLE_OK) {
      code = curl_easy_perform(handle);
    }
    long status = 0;  // NOLINT(google-runtime-int): libcurl's type
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    Release(handle);
    if (exchange.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
      WipeString(exchange.response.body);
      return MakeError(ErrorCode::kDataLoss, "HTTP answer from " + url.scheme + "://" + url.host +
                                                 " refused: its body exceeds " +
                                                 std::to_string(exchange.max_body) + " bytes");
    }
    if (exchange.headers_too_large) {
      return MakeError(ErrorCode::kDataLoss, "HTTP answer from " + url.scheme + "://" + url.host +
                                                 " refused: its headers exceed " +
                                                 std::to_string(exchange.max_header_bytes) +
                                                 " bytes");
    }
    if (code != CURLE_OK) {
      return MapCurlError(code, url);
    }
    exchange.response.status = static_cast<int>(status);
    return std::move(exchange.response);
  }

 private:
  CURLcode Configure(CURL* h, const HttpRequest& request, HeaderList& headers, Exchange& exchange,
                     bool loopback) {
    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    // Proxy policy (docs/configuration.md): never a proxy for loopback (issue 9: http_proxy from
    // the environment received plain-http loopback traffic such as a local Vault's token; "" turns
    // libcurl's environment lookup off); otherwise libcurl's reading of https_proxy/HTTPS_PROXY,
    // http_proxy, ALL_PROXY and NO_PROXY, as the AWS SDKs and Vault's client do. Set on every
    // request because handles are reused.
    curl_easy_setopt(h, CURLOPT_PROXY, loopback ? "" : nullptr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode code = curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    if (code != CURLE_OK) {
      return code;
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));  // NOLINT
    auto total = request.timeout.value_or(options_.timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));  // NOLINT
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // A declared Content-Length over the cap fails before any of the body is read; an undeclared
    // length is caught by OnBody. No CURLOPT_ACCEPT_ENCODING: bodies are never decompressed, so
    // the cap bounds memory (no compression bomb).
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(exchange.max_body));

    if (options_.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (!options_.ca_cert.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_cert.c_str());
    }
    if (!options_.ca_path.empty()) {
      curl_easy_setopt(h, CURLOPT_CAPATH, options_.ca_path.c_str());
    }
    if (!options_.client_cert.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, options_.client_cert.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, options_.client_key.c_str());
    }

    const std::string& method = request.method;
    if (method == "GET" && request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      if (method != "POST") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
      }
      if (method == "POST" || !request.body.empty()) {
        // The pointer is used in place: no copy of a secret-bearing body inside libcurl's
        // option storage.
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      }
    }
    for (const auto& [name, value] : request.headers) {
      std::string line = name + ": " + value;
      bool appended = headers.Append(line);
      WipeString(line);
      if (!appended) {
        return CURLE_OUT_OF_MEMORY;
      }
    }
    if (!headers.Append("Expect:")) {  // no 100-continue round trip for small bodies
      return CURLE_OUT_OF_MEMORY;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    return CURLE_OK;
  }

  static Error MapCurlError(CURLcode code, const UrlParts& url) {
    std::string where = "HTTP request to " + url.scheme + "://" + url.host + " failed: ";
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return MakeError(ErrorCode::kDeadlineExceeded, where + "timed out");
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return MakeError(ErrorCode::kInvalidArgument, where + curl_easy_strerror(code));
      case CURLE_OUT_OF_MEMORY:
        return MakeError(ErrorCode::kInternal, where + curl_easy_strerror(code));
      default:
        return MakeError(ErrorCode::kUnavailable, where + curl_easy_strerror(code));
    }
  }

  CURL* Acquire() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* handle) {
    // reset keeps the handle's caches; the shared connection pool lives in share_.
    curl_easy_reset(handle);
    std::lock_guard lock(pool_mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
    curl_easy_cleanup(handle);
  }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlHttpClient*>(user)->share_mu_[Index(data)].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlHttpClient*>(user)->share_mu_[Index(data)].unlock();
  }
  static std::size_t Index(curl_lock_data data) {
    auto i = static_cast<std::size_t>(data);
    return i < kLockSlots ? i : 0;
  }

  static constexpr std::size_t kLockSlots = CURL_LOCK_DATA_LAST;
  const CurlHttpClientOptions options_;
  CURLSH* share_ = nullptr;
  std::array<std::mutex, kLockSlots> share_mu_;
  std::mutex pool_mu_;
  std::vector<CURL*> idle_;
};

Result<void> CheckFile(const std::filesystem::path& path, std::string_view what) {
  if (path.empty()) {
    return OkResult();
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + " '" + path.string() + "' does not exist");
  }
  return OkResult();
}

}  // namespace

Result<HttpClientPtr> CreateCurlHttpClient(const CurlHttpClientOptions& options) {
  if (options.client_cert.empty() != options.client_key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a client certificate and a client key must be given together");
  }
  LOCKSMITH_RETURN_IF_ERROR(CheckFile(options.ca_cert, "CA certificate file"));
  LOCKSMITH_RETURN_IF_ERROR(CheckFile(options.ca_path, "CA certificate directory"));
  LOCKSMITH_RETURN_IF_ERROR(CheckFile(options.client_cert, "client certificate"));
  LOCKSMITH_RETURN_IF_ERROR(CheckFile(options.client_key, "client key"));
  GlobalInitOnce();
  auto client = std::make_unique<CurlHttpClient>(options);
  LOCKSMITH_RETURN_IF_ERROR(client->Init());
  if (options.insecure_skip_verify) {
    Logger()->warn(
        "TLS CERTIFICATE VERIFICATION IS DISABLED (skip-verify): any server can impersonate the "
        "back end and receive credentials. Never use this in production.");
  }
  return HttpClientPtr(std::move(client));
}

}  // namespace locksmith::internal
