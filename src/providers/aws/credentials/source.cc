#include "providers/aws/credentials/source.h"

#include <nlohmann/json.hpp>

#include "core/json_bounded.h"
#include "core/private_file.h"
#include "core/scrub.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {

std::optional<std::string> NonEmptyEnv(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (value && !value->empty()) {
    return value;
  }
  if (value) {
    WipeString(*value);
  }
  return std::nullopt;
}

Result<SecretValue> ReadCredentialFile(const std::filesystem::path& path, std::string_view what) {
  // e.g. the web identity token an orchestrator mounts (root-owned, through links): no owner or
  // mode rules, but no unwiped stream buffers either.
  SecretFileRules rules;
  rules.private_to_owner = false;
  rules.max_size = 64 * 1024;
  Result<SecretValue> text = ReadSecretFile(path, std::string(what) + " file", rules);
  if (!text.ok()) {
    return MakeError(ErrorCode::kUnauthenticated, text.error().message);
  }
  return SecretValue(Trim(text->RevealUnsafe()));
}

Result<AwsCredentials> CredentialsFromJson(const std::string& body, std::string_view source) {
  // A credentials answer is a flat object of a few hundred bytes.
  nlohmann::json json =
      ParseUntrustedJsonOrNull(body, JsonLimits{.max_depth = 8, .max_bytes = kMaxCredentialsBody});
  ScopedJsonWipe wipe(json);
  if (!json.is_object() || !json.contains("AccessKeyId") || !json["AccessKeyId"].is_string() ||
      !json.contains("SecretAccessKey") || !json["SecretAccessKey"].is_string()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(source) + " answered without usable credentials");
  }
  if (json.contains("Code") && json["Code"].is_string() && json["Code"] != "Success") {
    // Quoted only when it is shaped like a code and holds neither key (a hostile endpoint could
    // put anything there).
    const std::string_view secrets[] = {json["SecretAccessKey"].get_ref<const std::string&>()};
    std::string code = SafeErrorCode(json["Code"].get_ref<const std::string&>(), secrets);
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(source) + " reported " +
                         (code.empty() ? std::string("a failure code") : "code " + code));
  }
  AwsCredentials creds;
  creds.source = std::string(source);
  creds.access_key_id = json["AccessKeyId"].get<std::string>();
  creds.secret_access_key = SecretValue(json["SecretAccessKey"].get_ref<const std::string&>());
  if (json.contains("Token") && json["Token"].is_string()) {
    creds.session_token = SecretValue(json["Token"].get_ref<const std::string&>());
  }
  if (json.contains("Expiration") && json["Expiration"].is_string()) {
    creds.expiration = ParseRfc3339(json["Expiration"].get<std::string>());
    if (!creds.expiration) {
      return MakeError(ErrorCode::kUnauthenticated,
                       std::string(source) + " answered with a malformed Expiration");
    }
  }
  return creds;
}

}  // namespace locksmith::internal
