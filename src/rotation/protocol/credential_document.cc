#include "rotation/protocol/credential_document.h"

#include <utility>

#include "core/json_bounded.h"

namespace locksmith::internal {

CredentialDocument::CredentialDocument(CredentialDocument&&) noexcept = default;
CredentialDocument& CredentialDocument::operator=(CredentialDocument&&) noexcept = default;
CredentialDocument::~CredentialDocument() { WipeJsonStrings(json_); }

Result<CredentialDocument> CredentialDocument::Parse(const Secret& secret,
                                                     std::string_view default_username) {
  CredentialDocument doc;
  doc.name_ = secret.name;
  doc.version_id_ = secret.version.version_id;
  // Only a JSON object counts as a document: a bare password that happens to parse as a JSON
  // number or string stays a bare password.
  nlohmann::json parsed = ParseUntrustedJsonOrNull(secret.value.RevealUnsafe());
  if (parsed.is_object()) {
    doc.json_ = std::move(parsed);
    const auto password = doc.json_.find("password");
    if (password == doc.json_.end() || !password->is_string()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret '" + secret.name +
                           "' is a JSON object without a string \"password\" field (expected "
                           "{\"username\",\"password\",...} or a bare password)");
    }
    doc.password_ = SecretValue(password->get_ref<const std::string&>());
    const auto username = doc.json_.find("username");
    if (username != doc.json_.end()) {
      if (!username->is_string()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "secret '" + secret.name + "': \"username\" is not a string");
      }
      doc.username_ = username->get<std::string>();
    }
  } else {
    WipeJsonStrings(parsed);
    doc.password_ = secret.value.Clone();
  }
  if (doc.username_.empty()) {
    doc.username_ = std::string(default_username);
  }
  if (doc.password_.size() == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "secret '" + secret.name + "' holds an empty password");
  }
  return doc;
}

Credential CredentialDocument::ToCredential() const {
  return Credential{username_, password_.Clone(), version_id_};
}

Result<SecretValue> CredentialDocument::WithNewCredential(std::string_view username,
                                                          const SecretValue& password) const {
  if (!json_.is_object()) {
    if (username != username_) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret '" + name_ +
                           "' is a bare password, which cannot say which user is current: "
                           "alternating users need a JSON secret {\"username\",\"password\",...}");
    }
    return password.Clone();
  }
  nlohmann::json next = json_;
  ScopedJsonWipe wipe(next);
  next["password"] = std::string(password.RevealUnsafe());
  if (next.contains("username") || username != username_) {
    next["username"] = std::string(username);
  }
  std::string text = DumpJsonWiping(next);
  SecretValue value(text);
  std::fill(text.begin(), text.end(), '\0');
  return value;
}

}  // namespace locksmith::internal
