#include "cli/run_secrets.h"

#include <openssl/crypto.h>

#include <array>
#include <set>
#include <utility>

#include "core/secret_env.h"
#include "locksmith/naming.h"

namespace locksmith {
namespace {

bool IsRunEnvVarName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

constexpr std::array<std::string_view, 6> kCredentialCompanions = {
    "LOCKSMITH_MASTER_KEY_FILE", "VAULT_TOKEN_FILE",
    "VAULT_SECRET_ID_FILE",      "VAULT_ROLE_ID",
    "AWS_ACCESS_KEY_ID",         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
};

// The part of a --secret before '=' for a message: unprintable bytes as '?'.
std::string PrintableRunEnvName(std::string_view text) {
  std::string out(text.substr(0, 64));
  for (char& c : out) {
    if (c < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return out;
}

// "cannot set JWT_SECRET: secret 'jwt-secret' not found": the variable, and the secret's name
// once (the back end's message usually names it already).
Error RunSecretReadError(const Error& error, std::string_view env_var, std::string_view ref) {
  const std::string quoted = "'" + std::string(ref) + "'";
  std::string message = "cannot set " + std::string(env_var);
  if (error.message.find(quoted) == std::string::npos) {
    message += " from secret " + quoted;
  }
  return MakeError(error.code, message + ": " + error.message);
}

std::string_view RunEnvEntryName(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

}  // namespace

Result<RunSecret> ParseRunSecretSpec(std::string_view spec) {
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    // Not quoted: an argument without '=' might be a value typed in the wrong place.
    return MakeError(ErrorCode::kInvalidArgument,
                     "--secret wants ENV=name (e.g. DB_PASSWORD=database-password); an argument "
                     "without '=' was given");
  }
  const std::string_view env_var = spec.substr(0, eq);
  if (!IsRunEnvVarName(env_var)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--secret: '" + PrintableRunEnvName(env_var) +
                         "' is not a variable name (letters, digits and _, not first a digit)");
  }
  const std::string_view ref = spec.substr(eq + 1);
  if (auto parsed = ParseSecretRef(ref); !parsed.ok()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--secret " + std::string(env_var) + "=...: " + parsed.error().message);
  }
  return RunSecret{std::string(env_var), std::string(ref)};
}

Result<std::vector<RunSecret>> SelectRunSecrets(SecretsManager& manager,
                                                const std::vector<std::string>& specs,
                                                bool env_file_names) {
  std::vector<RunSecret> selected;
  if (!specs.empty()) {
    if (env_file_names) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--env-file-names names the default secrets' variables; with --secret, "
                       "each variable is named by its ENV=");
    }
    std::set<std::string, std::less<>> seen;
    for (const std::string& spec : specs) {
      LOCKSMITH_ASSIGN_OR_RETURN(RunSecret secret, ParseRunSecretSpec(spec));
      if (!seen.insert(secret.env_var).second) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "--secret: " + secret.env_var + " is given twice");
      }
      selected.push_back(std::move(secret));
    }
    return selected;
  }
  std::string names;
  for (const StandardSecret& standard : StandardSecrets()) {
    names += (names.empty() ? "" : ", ") + std::string(standard.name);
    auto value = manager.Get(standard.name);
    if (!value.ok()) {
      if (value.error().code == ErrorCode::kNotFound) {
        continue;
      }
      return RunSecretReadError(value.error(), standard.env_vars[0], standard.name);
    }
    const std::size_t variables = env_file_names ? standard.env_vars.size() : 1;
    for (std::size_t i = 0; i < variables; ++i) {
      selected.push_back({std::string(standard.env_vars[i]), std::string(standard.name)});
    }
  }
  if (selected.empty()) {
    return MakeError(ErrorCode::kNotFound, "none of the standard secrets (" + names +
                                               ") exists; name the secrets to deliver with "
                                               "--secret ENV=name");
  }
  return selected;
}

Result<std::vector<SecretValue>> ReadRunSecrets(SecretsManager& manager,
                                                const std::vector<RunSecret>& secrets) {
  std::vector<SecretValue> values;
  values.reserve(secrets.size());
  for (const RunSecret& secret : secrets) {
    auto value = manager.Get(secret.ref);
    if (!value.ok()) {
      return RunSecretReadError(value.error(), secret.env_var, secret.ref);
    }
    values.push_back(*std::move(value));
  }
  return values;
}

bool IsWithheldFromRunChild(std::string_view env_var) {
  if (internal::IsSecretBearingEnvVar(env_var)) {
    return true;
  }
  for (std::string_view companion : kCredentialCompanions) {
    if (env_var == companion) {
      return true;
    }
  }
  return false;
}

ChildEnvironment::~ChildEnvironment() {
  for (std::string& entry : entries_) {
    OPENSSL_cleanse(entry.data(), entry.size());
  }
}

void ChildEnvironment::Add(std::string_view name, std::string_view value) {
  std::string entry;
  entry.reserve(name.size() + 1 + value.size());  // one allocation: no unwiped copies
  entry.append(name).append("=").append(value);
  entries_.push_back(std::move(entry));
}

std::vector<char*> ChildEnvironment::Envp() {
  std::vector<char*> envp;
  envp.reserve(entries_.size() + 1);
  for (std::string& entry : entries_) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);
  return envp;
}

ChildEnvironment BuildChildEnvironment(const std::vector<std::string_view>& base,
                                       const std::vector<RunSecret>& secrets,
                                       const std::vector<SecretValue>& values,
                                       const std::vector<std::string>& files) {
  std::set<std::string, std::less<>> replaced;
  for (const RunSecret& secret : secrets) {
    replaced.insert(secret.env_var);
    replaced.insert(secret.env_var + "_FILE");
  }
  ChildEnvironment env;
  for (std::string_view entry : base) {
    const std::string_view name = RunEnvEntryName(entry);
    if (entry.find('=') == std::string_view::npos || IsWithheldFromRunChild(name) ||
        replaced.contains(name)) {
      continue;
    }
    env.Add(name, entry.substr(name.size() + 1));
  }
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    if (files.empty()) {
      env.Add(secrets[i].env_var, values[i].RevealUnsafe());
    } else {
      env.Add(secrets[i].env_var + "_FILE", files[i]);
    }
  }
  return env;
}

}  // namespace locksmith
