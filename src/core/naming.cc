#include "locksmith/naming.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/json_bounded.h"
#include "core/strings.h"

namespace locksmith {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// Names are not secret, but keep error text short and printable.
std::string Printable(std::string_view s) { return internal::PrintableExcerpt(s); }

}  // namespace

Result<void> ValidateSecretName(std::string_view name) {
  if (name.empty() || name.size() > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "secret name must be 1 to 256 characters");
  }
  if (name.front() == '/' || name.back() == '/') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "secret name '" + Printable(name) + "' must not start or end with '/'");
  }
  char prev = 0;
  for (char c : name) {
    if (c == '/' && prev == '/') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret name '" + Printable(name) + "' has an empty path segment");
    }
    if (c != '/' && !IsNameChar(c)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret name '" + Printable(name) +
                           "' may contain only letters, digits, '-', '_', '.' and '/'");
    }
    prev = c;
  }
  for (std::string_view seg : {std::string_view("."), std::string_view("..")}) {
    std::size_t start = 0;
    while (start <= name.size()) {
      auto end = name.find('/', start);
      if (end == std::string_view::npos) {
        end = name.size();
      }
      if (name.substr(start, end - start) == seg) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "secret name '" + Printable(name) + "' has a '.' or '..' segment");
      }
      start = end + 1;
    }
  }
  return OkResult();
}

Result<SecretRef> ParseSecretRef(std::string_view ref) {
  SecretRef out;
  auto hash = ref.find('#');
  std::string_view name = ref.substr(0, hash);
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  out.name = std::string(name);
  if (hash != std::string_view::npos) {
    std::string_view field = ref.substr(hash + 1);
    if (field.empty() || field.size() > 128 || field.find('#') != std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "field in '" + Printable(ref) + "' must be 1 to 128 characters, no '#'");
    }
    out.field = std::string(field);
  }
  return out;
}

std::string JoinSecretPath(std::string_view prefix, std::string_view name) {
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.remove_suffix(1);
  }
  while (!name.empty() && name.front() == '/') {
    name.remove_prefix(1);
  }
  if (prefix.empty()) {
    return std::string(name);
  }
  std::string out(prefix);
  out += '/';
  out += name;
  return out;
}

std::string StripSecretPrefix(std::string_view prefix, std::string_view path) {
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.remove_suffix(1);
  }
  if (prefix.empty()) {
    return std::string(path);
  }
  if (path.size() <= prefix.size() + 1 || !path.starts_with(prefix) || path[prefix.size()] != '/') {
    return {};
  }
  return std::string(path.substr(prefix.size() + 1));
}

std::string EnvVarNameFor(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == '.' || c == '/') {
      out += '_';
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string SecretNameForEnvVar(std::string_view env_var) {
  std::string out;
  out.reserve(env_var.size());
  for (char c : env_var) {
    out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const std::vector<StandardSecret>& StandardSecrets() {
  static const std::vector<StandardSecret> kSecrets = {
      {"db-encryption-key",
       "the key for column encryption in the database",
       {"DB_ENCRYPTION_KEY", "DATABASE_ENCRYPTION_KEY"}},
      {"jwt-secret", "the secret that signs and verifies JWTs", {"JWT_SECRET", "JWT_SECRET_KEY"}},
      {"database-password",
       "the database user's password",
       {"DATABASE_PASSWORD", "DB_PASSWORD", "POSTGRES_PASSWORD"}},
      {"redis-password", "the Redis password", {"REDIS_PASSWORD"}},
      {"alchemy-api-key", "the Alchemy RPC provider API key", {"ALCHEMY_API_KEY"}},
      {"infura-api-key", "the Infura RPC provider API key", {"INFURA_API_KEY"}},
      {"quicknode-api-key", "the QuickNode RPC provider API key", {"QUICKNODE_API_KEY"}},
  };
  return kSecrets;
}

const StandardSecret* FindStandardSecret(std::string_view name) {
  for (const StandardSecret& secret : StandardSecrets()) {
    if (secret.name == name) {
      return &secret;
    }
  }
  return nullptr;
}

std::string SecretNameForDotenvVariable(std::string_view env_var) {
  const auto same_ignoring_case = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) ==
                    std::toupper(static_cast<unsigned char>(y));
           });
  };
  for (const StandardSecret& secret : StandardSecrets()) {
    for (std::string_view variable : secret.env_vars) {
      if (same_ignoring_case(variable, env_var)) {
        return std::string(secret.name);
      }
    }
  }
  return SecretNameForEnvVar(env_var);
}

std::vector<std::string> DotenvVariablesFor(std::string_view name) {
  if (const StandardSecret* secret = FindStandardSecret(name)) {
    return {secret->env_vars.begin(), secret->env_vars.end()};
  }
  return {EnvVarNameFor(name)};
}

Result<SecretValue> ExtractJsonField(const SecretValue& json_object, std::string_view field) {
  // Bounded and iterative (a value is as untrusted as the back end that stored it); its errors
  // never quote the input. Every string in the document holds secret bytes: wiped on return.
  nlohmann::json doc = internal::ParseUntrustedJsonOrNull(json_object.RevealUnsafe());
  internal::ScopedJsonWipe wipe(doc);
  if (!doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "secret value is not a JSON object, so field '" +
                                                      Printable(field) + "' cannot be selected");
  }
  auto it = doc.find(std::string(field));
  if (it == doc.end()) {
    return MakeError(ErrorCode::kNotFound, "secret has no field '" + Printable(field) + "'");
  }
  if (it->is_string()) {
    return SecretValue(it->get_ref<const std::string&>());
  }
  if (it->is_number() || it->is_boolean()) {
    std::string dumped = it->dump();
    SecretValue v(dumped);
    std::fill(dumped.begin(), dumped.end(), '\0');
    return v;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "field '" + Printable(field) + "' is not a string, number or boolean");
}

}  // namespace locksmith
