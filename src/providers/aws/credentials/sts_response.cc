#include "providers/aws/credentials/sts_response.h"

#include "core/scrub.h"
#include "core/time_format.h"

namespace locksmith::internal {

std::string StsXmlElement(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  std::string close = "</" + std::string(name) + ">";
  std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) {
    return {};
  }
  begin += open.size();
  std::size_t end = xml.find(close, begin);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(xml.substr(begin, end - begin));
}

Result<AwsCredentials> StsCredentialsFromXml(std::string_view xml, std::string source,
                                             std::string_view what) {
  std::string credentials = StsXmlElement(xml, "Credentials");
  AwsCredentials creds;
  creds.source = std::move(source);
  creds.access_key_id = StsXmlElement(credentials, "AccessKeyId");
  std::string secret = StsXmlElement(credentials, "SecretAccessKey");
  std::string session_token = StsXmlElement(credentials, "SessionToken");
  creds.secret_access_key = SecretValue(secret);
  creds.session_token = SecretValue(session_token);
  WipeString(secret);
  WipeString(session_token);
  WipeString(credentials);
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(what) + " answered without credentials");
  }
  creds.expiration = ParseRfc3339(StsXmlElement(xml, "Expiration"));
  if (!creds.expiration) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(what) + " answered without a valid Expiration");
  }
  return creds;
}

Error StsError(const HttpResponse& response, std::string_view what,
               std::span<const std::string_view> secrets) {
  std::string code = SafeErrorCode(StsXmlElement(response.body, "Code"), secrets);
  std::string message = ScrubBackendText(StsXmlElement(response.body, "Message"), secrets);
  ErrorCode mapped = ErrorCode::kUnauthenticated;
  if (response.status >= 500 || code == "IDPCommunicationError" || code == "Throttling" ||
      code == "ServiceUnavailable") {
    mapped = ErrorCode::kUnavailable;
  } else if (code == "AccessDenied") {
    mapped = ErrorCode::kPermissionDenied;
  } else if (code == "ValidationError") {
    mapped = ErrorCode::kInvalidArgument;
  }
  std::string out = std::string(what) + " failed with HTTP " + std::to_string(response.status);
  if (!code.empty()) {
    out += " (" + code + ")";
  }
  if (!message.empty()) {
    out += ": " + message;
  }
  return Error{mapped, std::move(out)};
}

}  // namespace locksmith::internal
