// `locksmith check`, item env-secrets: no critical secret left in the `.env` file or the process
// environment. Variables are recognised by their standard names and aliases
// (StandardSecrets(), docs/naming.md) and by the variable of each --secret name; a finding names
// the variable and where it is (file and line), never its value. An empty assignment
// (`JWT_SECRET=`, as .env.example has) holds no secret and is not reported.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "core/private_file.h"
#include "locksmith/naming.h"
#include "providers/dotenv/dotenv_parser.h"

namespace locksmith {
namespace {

constexpr std::size_t kMaxEnvFileSize = 1024 * 1024;

// The checked name `variable` (any case) stands for, or empty.
std::string CheckedNameFor(std::string_view variable, const std::vector<std::string>& names) {
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) ==
                    std::toupper(static_cast<unsigned char>(y));
           });
  };
  for (const std::string& name : names) {
    for (const std::string& known : DotenvVariablesFor(name)) {
      if (same(known, variable)) {
        return name;
      }
    }
  }
  return {};
}

std::string JoinFindings(const std::vector<std::string>& findings) {
  std::string text;
  for (const std::string& finding : findings) {
    text += (text.empty() ? "" : ", ") + finding;
  }
  return text;
}

}  // namespace

CheckItem CheckEnvSecrets(const CheckContext& context, const std::string& env_file,
                          const std::vector<std::string>& names) {
  CheckItem item{"env-secrets"};
  std::vector<std::string> findings;
  if (!env_file.empty()) {
    auto content = internal::ReadSecretFile(
        env_file, ".env file", {.private_to_owner = false, .max_size = kMaxEnvFileSize});
    if (!content.ok()) {
      item.status = CheckStatus::kFail;
      item.detail = "cannot check " + env_file + ": " + content.error().message;
      return item;
    }
    auto entries = internal::ParseDotenv(content->RevealUnsafe(), env_file);
    if (!entries.ok()) {
      // The message names the file and line, never the line.
      item.status = CheckStatus::kFail;
      item.detail = "cannot check: " + entries.error().message;
      return item;
    }
    for (const internal::DotenvEntry& entry : *entries) {
      const std::string name = CheckedNameFor(entry.key, names);
      if (!entry.value.empty() && !name.empty()) {
        findings.push_back(entry.key + " (" + name + ") at " + env_file + ":" +
                           std::to_string(entry.line));
      }
    }
  }
  for (const std::string& name : names) {
    for (const std::string& variable : DotenvVariablesFor(name)) {
      std::optional<std::string> value = context.env(variable);
      const bool set = value.has_value() && !value->empty();
      if (value.has_value()) {
        std::fill(value->begin(), value->end(), '\0');
      }
      if (set) {
        findings.push_back(variable + " (" + name + ") in the environment");
      }
    }
  }
  const std::string where =
      env_file.empty() ? "the environment (no .env file)" : env_file + " or the environment";
  if (context.manager.Backend() == "dotenv") {
    // The .env back end is the thing this item guards against.
    item.status = CheckStatus::kFail;
    item.detail =
        "SECRETS_BACKEND=dotenv (or ENABLE_SECRETS_MANAGER=false) serves secrets from .env and "
        "the environment, which is for development only: move them into a secrets manager "
        "(locksmith import)";
    if (!findings.empty()) {
      item.detail += "; found " + JoinFindings(findings);
    }
    return item;
  }
  if (findings.empty()) {
    item.detail = "no critical secret in " + where;
    return item;
  }
  item.status = CheckStatus::kFail;
  item.detail = "critical secrets outside the secrets manager: " + JoinFindings(findings) +
                " (move them with locksmith import, then delete them)";
  return item;
}

}  // namespace locksmith
