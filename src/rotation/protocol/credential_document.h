// The value of a credential secret: a bare password, or a JSON object with at least "password"
// (and usually "username", "host", "port", "dbname": AWS's rotation templates' shape). Parsing
// it, and making the next version's value from it with a new password and username while every
// other field is carried over. Every string of a parsed document is secret: wiped on destruction.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "locksmith/credential_rotation.h"
#include "locksmith/provider.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

class CredentialDocument {
 public:
  // `secret` is a version of the secret `secret.name`; `default_username` is used when the value
  // has no "username" (a bare password, or JSON without one). kInvalidArgument for a JSON object
  // without a string "password", or an empty password; the message names the secret and the
  // missing field, never a value.
  static Result<CredentialDocument> Parse(const Secret& secret, std::string_view default_username);

  CredentialDocument(CredentialDocument&&) noexcept;
  CredentialDocument& operator=(CredentialDocument&&) noexcept;
  ~CredentialDocument();

  // The credential it holds (username, password, the version id it was read from).
  Credential ToCredential() const;
  bool is_json() const { return json_.is_object(); }

  // The value of the next version: this document with `password`, and `username` if it differs
  // from this one's (a bare password cannot carry a username: kInvalidArgument then, as the
  // alternating-users strategy needs a JSON secret).
  Result<SecretValue> WithNewCredential(std::string_view username,
                                        const SecretValue& password) const;

 private:
  CredentialDocument() = default;

  nlohmann::json json_;  // the object, or null for a bare password
  std::string username_;
  SecretValue password_;
  std::string version_id_;
  std::string name_;
};

}  // namespace locksmith::internal
