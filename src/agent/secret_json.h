// JSON for a secret with its value, shaped like AWS GetSecretValue. Shared by the agent and
// `locksmith get --json`. The document is built straight into a SecretValue (no nlohmann::json
// or std::string holding the value is left behind).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/stages.h"  // AwsStageLabel, for the VersionStages of the document
#include "locksmith/provider.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

// Seconds since the epoch, with milliseconds as the fraction (as the AWS API writes dates).
double EpochSeconds(std::chrono::system_clock::time_point time);

// {"ARN"?, "Name", "VersionId", "SecretString", "VersionStages", "CreatedDate"}; "ARN" only when
// `arn` is not empty. A value that is not valid UTF-8 is "SecretBinary" (base64) instead of
// "SecretString", as in AWS's GetSecretValue answer, so the document is always valid JSON.
SecretValue SecretToJson(const Secret& secret, std::string_view arn);

}  // namespace locksmith::internal
