#include "providers/aws/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "core/crypto.h"
#include "core/strings.h"
#include "transport/http_client.h"

namespace locksmith::internal {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

// Trims and collapses runs of spaces and tabs into one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) {
      out.push_back(' ');
    }
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexDigitValue(text[i + 1]);
      int lo = HexDigitValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) {
      next = path.size();
    }
    std::string_view segment = path.substr(pos, next - pos);
    if (segment == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      out.push_back(segment);
    }
    pos = next + 1;
  }
  std::string result = "/";
  for (std::size_t i = 0; i < out.size(); ++i) {
    result += out[i];
    if (i + 1 < out.size()) {
      result += '/';
    }
  }
  // A trailing slash (or a trailing dot segment) keeps the path a "directory".
  bool trailing =
      !path.empty() && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  if (trailing && !out.empty()) {
    result += '/';
  }
  return result;
}

}  // namespace

AwsCredentials AwsCredentials::Clone() const {
  AwsCredentials copy;
  copy.access_key_id = access_key_id;
  copy.secret_access_key = secret_access_key.Clone();
  if (session_token) {
    copy.session_token = session_token->Clone();
  }
  copy.expiration = expiration;
  copy.source = source;
  return copy;
}

SigV4Result::~SigV4Result() {
  for (auto& [name, value] : added_headers) {
    WipeString(value);
  }
  WipeString(canonical_request);  // holds the session token when it is signed
}

std::string AmzDate(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::string AmzDay(std::chrono::system_clock::time_point time) {
  return AmzDate(time).substr(0, 8);
}

std::string CredentialScope(std::string_view day, std::string_view region,
                            std::string_view service) {
  std::string scope(day);
  scope += '/';
  scope += region;
  scope += '/';
  scope += service;
  scope += "/aws4_request";
  return scope;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  std::string p = path.empty() ? std::string("/") : std::string(path);
  if (normalize) {
    p = RemoveDotSegments(p);
  }
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t next = p.find('/', pos);
    out += UrlEncode(std::string_view(p).substr(
        pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) {
      break;
    }
    out += '/';
    pos = next + 1;
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t next = query.find('&', pos);
    if (next == std::string_view::npos) {
      next = query.size();
    }
    std::string_view part = query.substr(pos, next - pos);
    if (!part.empty()) {
      std::size_t eq = part.find('=');
      std::string_view key = part.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
      params.emplace_back(UrlEncode(PercentDecode(key)), UrlEncode(PercentDecode(value)));
    }
    pos = next + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) {
      out += '&';
    }
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string HexSha256(std::string_view data) { return HexEncode(Sha256(AsBytes(data))); }

CanonicalRequest BuildCanonicalRequest(const SigV4Request& request, bool normalize_path,
                                       std::string_view payload_hash) {
  // Lower-cased name -> values in order of appearance.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    headers[ToLower(name)].push_back(CanonicalHeaderValue(value));
  }
  CanonicalRequest out;
  out.text = request.method;
  out.text += '\n';
  out.text += CanonicalUri(request.path, normalize_path);
  out.text += '\n';
  out.text += CanonicalQuery(request.query);
  out.text += '\n';
  for (auto& [name, values] : headers) {
    out.text += name;
    out.text += ':';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) {
        out.text += ',';
      }
      out.text += values[i];
      WipeString(values[i]);
    }
    out.text += '\n';
    if (!out.signed_headers.empty()) {
      out.signed_headers += ';';
    }
    out.signed_headers += name;
  }
  out.text += '\n';
  out.text += out.signed_headers;
  out.text += '\n';
  out.text += payload_hash;
  return out;
}

std::string BuildStringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  std::string out = kAlgorithm;
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += HexSha256(canonical_request);
  return out;
}

Result<SecretValue> DeriveSigningKey(const SecretValue& secret_access_key, std::string_view day,
                                     std::string_view region, std::string_view service) {
  std::string seed = "AWS4";
  seed += secret_access_key.RevealUnsafe();
  auto k_date = Hmac("SHA256", AsBytes(seed), AsBytes(day));
  WipeString(seed);
  if (!k_date.ok()) {
    return std::move(k_date).error();
  }
  std::vector<std::uint8_t> key = std::move(k_date).value();
  for (std::string_view part : {region, service, std::string_view("aws4_request")}) {
    auto next = Hmac("SHA256", key, AsBytes(part));
    OPENSSL_cleanse(key.data(), key.size());
    if (!next.ok()) {
      return std::move(next).error();
    }
    key = std::move(next).value();
  }
  SecretValue signing_key(std::span<const std::uint8_t>(key.data(), key.size()));
  OPENSSL_cleanse(key.data(), key.size());
  return signing_key;
}

Result<std::string> ComputeSignature(const SecretValue& signing_key,
                                     std::string_view string_to_sign) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      auto mac, Hmac("SHA256", signing_key.RevealBytesUnsafe(), AsBytes(string_to_sign)));
  return HexEncode(mac);
}

std::string BuildAuthorizationHeader(std::string_view access_key_id, std::string_view scope,
                                     std::string_view signed_headers, std::string_view signature) {
  std::string out = kAlgorithm;
  out += " Credential=";
  out += access_key_id;
  out += '/';
  out += scope;
  out += ", SignedHeaders=";
  out += signed_headers;
  out += ", Signature=";
  out += signature;
  return out;
}

Result<SigV4Result> SignRequest(const SigV4Request& request, const AwsCredentials& credentials,
                                const SigV4Params& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "no AWS credentials to sign with");
  }
  const std::string amz_date = AmzDate(params.time);
  const std::string day = amz_date.substr(0, 8);
  const std::string scope = CredentialScope(day, params.region, params.service);
  const std::string payload_hash = HexSha256(request.body);

  SigV4Result result;
  bool sign_token = credentials.session_token.has_value() && !params.omit_session_token;
  if (credentials.session_token) {
    result.added_headers.emplace_back("X-Amz-Security-Token",
                                      std::string(credentials.session_token->RevealUnsafe()));
  }
  result.added_headers.emplace_back("X-Amz-Date", amz_date);
  if (params.sign_body) {
    result.added_headers.emplace_back("x-amz-content-sha256", payload_hash);
  }

  SigV4Request to_sign;
  to_sign.method = request.method;
  to_sign.path = request.path;
  to_sign.query = request.query;
  to_sign.body = request.body;
  for (const auto& header : request.headers) {
    to_sign.headers.push_back(header);
  }
  for (const auto& [name, value] : result.added_headers) {
    if (name == "X-Amz-Security-Token" && !sign_token) {
      continue;
    }
    to_sign.headers.emplace_back(name, value);
  }
  CanonicalRequest canonical = BuildCanonicalRequest(to_sign, params.normalize_path, payload_hash);
  for (auto& [name, value] : to_sign.headers) {
    WipeString(value);
  }
  result.canonical_request = std::move(canonical.text);
  result.string_to_sign = BuildStringToSign(amz_date, scope, result.canonical_request);
  LOCKSMITH_ASSIGN_OR_RETURN(
      SecretValue signing_key,
      DeriveSigningKey(credentials.secret_access_key, day, params.region, params.service));
  LOCKSMITH_ASSIGN_OR_RETURN(result.signature,
                             ComputeSignature(signing_key, result.string_to_sign));
  result.added_headers.emplace_back(
      "Authorization", BuildAuthorizationHeader(credentials.access_key_id, scope,
                                                canonical.signed_headers, result.signature));
  return result;
}

}  // namespace locksmith::internal
