#include "credentials.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

namespace rotating_service {
namespace {

using locksmith::ErrorCode;
using locksmith::MakeError;
using locksmith::SecretValue;
using json = nlohmann::json;

bool LooksLikeJson(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

// The object of a JSON secret, or nullopt (the parser's own error is dropped: it quotes input).
std::optional<json> ParseObject(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return std::nullopt;
  }
  return doc;
}

// A string field, a number field as text (the "port"), or `fallback` when absent.
locksmith::Result<std::string> Field(const json& doc, const char* key, std::string_view name,
                                     const std::string& fallback) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    return fallback;
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number_integer()) {
    return std::to_string(it->get<long long>());
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string(name) + ": field '" + key + "' is not a string");
}

locksmith::Result<SecretValue> PasswordField(json& doc, std::string_view name) {
  auto it = doc.find("password");
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + ": JSON secret without a \"password\" string");
  }
  std::string& text = it->get_ref<std::string&>();
  SecretValue password(text);
  WipeString(text);
  return password;
}

}  // namespace

void WipeString(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  asm volatile("" : : "r"(s.data()) : "memory");  // keep the stores
}

locksmith::Result<DbCredential> ParseDbCredential(std::string_view name, const SecretValue& secret,
                                                  const DbDefaults& defaults) {
  DbCredential out;
  if (!LooksLikeJson(secret.RevealUnsafe())) {
    if (secret.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(name) + ": empty password");
    }
    out = {defaults.username, secret.Clone(), defaults.host, defaults.port, defaults.dbname};
  } else {
    std::optional<json> doc = ParseObject(secret.RevealUnsafe());
    if (!doc) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + ": starts with '{' but is not a JSON object");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(out.username, Field(*doc, "username", name, defaults.username));
    LOCKSMITH_ASSIGN_OR_RETURN(out.host, Field(*doc, "host", name, defaults.host));
    LOCKSMITH_ASSIGN_OR_RETURN(out.port, Field(*doc, "port", name, defaults.port));
    LOCKSMITH_ASSIGN_OR_RETURN(out.dbname, Field(*doc, "dbname", name, defaults.dbname));
    LOCKSMITH_ASSIGN_OR_RETURN(out.password, PasswordField(*doc, name));
  }
  if (out.username.empty() || out.dbname.empty()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        std::string(name) + ": no user or database name (in the secret or from --pg-user/--pg-db)");
  }
  return out;
}

locksmith::Result<RedisCredential> ParseRedisCredential(std::string_view name,
                                                        const SecretValue& secret,
                                                        std::string_view default_username) {
  RedisCredential out;
  if (!LooksLikeJson(secret.RevealUnsafe())) {
    if (secret.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(name) + ": empty password");
    }
    out = {std::string(default_username), secret.Clone()};
  } else {
    std::optional<json> doc = ParseObject(secret.RevealUnsafe());
    if (!doc) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + ": starts with '{' but is not a JSON object");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(out.username,
                               Field(*doc, "username", name, std::string(default_username)));
    LOCKSMITH_ASSIGN_OR_RETURN(out.password, PasswordField(*doc, name));
  }
  if (out.username.empty()) {
    out.username = "default";
  }
  return out;
}

}  // namespace rotating_service
