// The XML answers of STS (AssumeRole, AssumeRoleWithWebIdentity): the credentials of a success
// and the Error of a failure, shared by the sources that call STS.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "locksmith/result.h"
#include "providers/aws/sigv4.h"  // AwsCredentials
#include "transport/http_client.h"

namespace locksmith::internal {

// The text of the first <name> element of `xml`, or empty.
std::string StsXmlElement(std::string_view xml, std::string_view name);

// The <Credentials> of a 200 answer, labelled `source`. kUnauthenticated when they are missing
// or the Expiration is malformed; `what` ("STS AssumeRole") names the call.
Result<AwsCredentials> StsCredentialsFromXml(std::string_view xml, std::string source,
                                             std::string_view what);

// The Error of a non-200 answer: "<what> failed with HTTP <status> (<Code>): <Message>", the
// code quoted only when shaped like one, the message scrubbed of `secrets`. Codes map to
// kUnavailable (5xx, throttling, IdP unreachable), kPermissionDenied (AccessDenied),
// kInvalidArgument (ValidationError: a setting to fix), kUnauthenticated (the rest).
Error StsError(const HttpResponse& response, std::string_view what,
               std::span<const std::string_view> secrets);

}  // namespace locksmith::internal
