#include "providers/aws/credentials/process.h"

#include <nlohmann/json.hpp>

#include "core/json_bounded.h"
#include "core/scrub.h"
#include "core/shell_words.h"
#include "core/time_format.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {
namespace {

// A run of at least this many key-like characters holding a digit is taken for a key or token
// and never quoted (an access key id is 20, a secret key 40, a session token hundreds).
constexpr std::size_t kKeyLikeRun = 20;

bool IsKeyLikeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' ||
         c == '_' || c == '-';
}

// `text` with every long run of key-like characters replaced by "***".
std::string MaskKeyLikeRuns(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && IsKeyLikeChar(text[j])) {
      ++j;
    }
    if (j == i) {
      out += text[i++];
      continue;
    }
    std::string_view run = text.substr(i, j - i);
    bool has_digit = run.find_first_of("0123456789") != std::string_view::npos;
    out += run.size() >= kKeyLikeRun && has_digit ? std::string_view("***") : run;
    i = j;
  }
  return out;
}

class ProcessSource : public AwsCredentialSource {
 public:
  ProcessSource(AwsSharedFiles files, SubprocessLimits limits)
      : files_(std::move(files)), limits_(limits) {}
  std::string_view Name() const override { return "credential_process"; }
  Result<AwsCredentials> Fetch() override {
    LOCKSMITH_ASSIGN_OR_RETURN(AwsProfile profile, ReadProfile(files_, files_.profile));
    auto command = profile.Value("credential_process");
    if (!command) {
      return MakeError(ErrorCode::kNotFound, "no credential_process in profile");
    }
    const std::string what = "credential_process of profile '" + files_.profile + "'";
    auto argv = SplitShellWords(*command);
    WipeString(*command);
    if (!argv.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, what + ": " + argv.error().message);
    }
    if (argv->empty()) {
      return MakeError(ErrorCode::kInvalidArgument, what + " is empty");
    }
    auto ran = RunSubprocess(*argv, limits_);
    for (auto& arg : *argv) {
      WipeString(arg);
    }
    if (!ran.ok()) {
      return MakeError(ran.error().code, what + ": " + ran.error().message);
    }
    nlohmann::json json =
        ParseUntrustedJsonOrNull(ran->stdout_text.RevealUnsafe(),
                                 JsonLimits{.max_depth = 8, .max_bytes = limits_.max_stdout});
    ScopedJsonWipe wipe(json);
    if (ran->exit_code != 0) {
      // Its stderr, cut, without the keys it may have printed (those of its stdout, and any
      // long key-like word).
      std::vector<std::string_view> secrets;
      for (const char* key : {"SecretAccessKey", "SessionToken", "AccessKeyId"}) {
        if (json.is_object() && json.contains(key) && json[key].is_string()) {
          secrets.push_back(json[key].get_ref<const std::string&>());
        }
      }
      std::string stderr_text = MaskKeyLikeRuns(ScrubBackendText(ran->stderr_text, secrets));
      WipeString(ran->stderr_text);
      return MakeError(ErrorCode::kUnauthenticated,
                       what + " exited with status " + std::to_string(ran->exit_code) +
                           (stderr_text.empty() ? std::string() : ": " + stderr_text));
    }
    WipeString(ran->stderr_text);
    if (!json.is_object()) {
      return MakeError(ErrorCode::kUnauthenticated, what + " did not print a JSON object");
    }
    if (!json.contains("Version") || !json["Version"].is_number_integer() ||
        json["Version"].get<long long>() != 1) {
      return MakeError(ErrorCode::kUnauthenticated,
                       what + " printed an unsupported Version (supported: 1)");
    }
    for (const char* key : {"AccessKeyId", "SecretAccessKey"}) {
      if (!json.contains(key) || !json[key].is_string() ||
          json[key].get_ref<const std::string&>().empty()) {
        return MakeError(ErrorCode::kUnauthenticated, what + " printed no " + std::string(key));
      }
    }
    AwsCredentials creds;
    creds.source = "credential_process " + files_.profile;
    creds.access_key_id = json["AccessKeyId"].get<std::string>();
    creds.secret_access_key = SecretValue(json["SecretAccessKey"].get_ref<const std::string&>());
    if (json.contains("SessionToken") && json["SessionToken"].is_string()) {
      creds.session_token = SecretValue(json["SessionToken"].get_ref<const std::string&>());
    }
    if (json.contains("Expiration") && !json["Expiration"].is_null()) {
      if (json["Expiration"].is_string()) {
        creds.expiration = ParseRfc3339(json["Expiration"].get<std::string>());
      }
      if (!creds.expiration) {
        return MakeError(ErrorCode::kUnauthenticated,
                         what + " printed a malformed Expiration (RFC 3339 expected)");
      }
    }
    return creds;
  }

 private:
  AwsSharedFiles files_;
  SubprocessLimits limits_;
};

}  // namespace

AwsCredentialSourcePtr MakeProcessCredentialSource(AwsSharedFiles files, SubprocessLimits limits) {
  return std::make_unique<ProcessSource>(std::move(files), limits);
}

}  // namespace locksmith::internal
