#include "agent/secret_json.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/utf8.h"

namespace locksmith::internal {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Appends `text` as a JSON string. Bytes >= 0x80 pass through (the value is UTF-8 text).
void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

double EpochSeconds(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  return static_cast<double>(ms.count()) / 1000.0;
}

SecretValue SecretToJson(const Secret& secret, std::string_view arn) {
  json stages = json::array();
  for (Stage s : secret.version.stages) {
    stages.push_back(std::string(AwsStageLabel(s)));
  }
  std::string head = "{";
  if (!arn.empty()) {
    head += "\"ARN\":" + Dump(std::string(arn)) + ",";
  }
  head += "\"Name\":" + Dump(secret.name) + ",";
  head += "\"VersionId\":" + Dump(secret.version.version_id) + ",";
  // Bytes that are not UTF-8 cannot be a JSON string: base64 under "SecretBinary", as
  // GetSecretValue answers for a binary secret.
  std::string_view value = secret.value.RevealUnsafe();
  SecretValue encoded;
  if (!IsValidUtf8(value)) {
    encoded = Base64EncodeSecret(AsBytes(value));
    value = encoded.RevealUnsafe();
    head += "\"SecretBinary\":";
  } else {
    head += "\"SecretString\":";
  }
  std::string tail = ",\"VersionStages\":" + Dump(stages) +
                     ",\"CreatedDate\":" + Dump(EpochSeconds(secret.version.created)) + "}";

  // Reserve the worst case up front so the buffer holding the value never reallocates (a
  // reallocation would leave an unwiped copy behind).
  std::string buffer;
  buffer.reserve(head.size() + 2 + value.size() * 6 + tail.size());
  buffer += head;
  AppendJsonString(buffer, value);
  buffer += tail;
  SecretValue result(buffer);
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return result;
}

}  // namespace locksmith::internal
