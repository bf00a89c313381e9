#include "cli/import_plan.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <utility>

#include "locksmith/naming.h"

namespace locksmith {
namespace {

constexpr std::array<std::string_view, 8> kSecretSuffixes = {
    "KEY", "SECRET", "PASSWORD", "PASSWD", "PASS", "PWD", "TOKEN", "CREDENTIALS"};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsLocksmithConfiguration(std::string_view var) {
  for (std::string_view exact : {"SECRETS_BACKEND", "ENABLE_SECRETS_MANAGER", "APP_ENV"}) {
    if (var == exact) {
      return true;
    }
  }
  for (std::string_view prefix : {"LOCKSMITH_", "VAULT_", "AWS_"}) {
    if (var.starts_with(prefix)) {
      return true;
    }
  }
  return false;
}

// scheme://user:password@host...: a connection string carrying a password.
bool IsUrlWithPassword(std::string_view value) {
  std::size_t scheme_end = value.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return false;
  }
  std::string_view rest = value.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return false;
  }
  std::size_t colon = authority.substr(0, at).find(':');
  return colon != std::string_view::npos && colon + 1 < at;
}

bool SameIgnoringCase(std::string_view a, std::string_view b) { return Upper(a) == Upper(b); }

// Whether --only entry `wanted` names this variable or its (prefixed or not) logical name.
bool NamedBy(std::string_view wanted, std::string_view variable, std::string_view name,
             std::string_view prefixed) {
  return SameIgnoringCase(wanted, variable) || wanted == name || wanted == prefixed;
}

}  // namespace

std::string SecretReason(std::string_view variable, const SecretValue& value) {
  const std::string var = Upper(variable);
  if (IsLocksmithConfiguration(var)) {
    return "";
  }
  if (FindStandardSecret(SecretNameForDotenvVariable(var)) != nullptr) {
    return "a standard secret";
  }
  for (std::string_view suffix : kSecretSuffixes) {
    if (var == suffix || (var.size() > suffix.size() && var.ends_with(suffix) &&
                          var[var.size() - suffix.size() - 1] == '_')) {
      return "named like a secret (*_" + std::string(suffix) + ")";
    }
  }
  if (IsUrlWithPassword(value.RevealUnsafe())) {
    return "a URL with a password";
  }
  return "";
}

std::string DescribeLines(const std::vector<LineSpan>& spans) {
  std::string text;
  bool plural = spans.size() > 1;
  for (const LineSpan& span : spans) {
    if (!text.empty()) {
      text += ", ";
    }
    text += std::to_string(span.first);
    if (span.last > span.first) {
      text += "-" + std::to_string(span.last);
      plural = true;
    }
  }
  return (plural ? "lines " : "line ") + text;
}

Result<ImportPlan> PlanImport(std::vector<internal::DotenvEntry> entries,
                              const ImportPlanOptions& options) {
  std::string prefix = options.prefix;
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  if (!prefix.empty()) {
    if (auto valid = ValidateSecretName(prefix); !valid.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "--prefix: " + valid.error().message);
    }
  }

  // One entry per variable (any case): the last assignment wins, as when a shell sources the
  // file, and every assignment's lines are kept (all of them are to be deleted).
  struct Assigned {
    ImportVariable variable;
    SecretValue value;
  };
  std::vector<Assigned> variables;
  std::map<std::string, std::size_t> index;  // upper-cased variable -> position
  for (internal::DotenvEntry& entry : entries) {
    const LineSpan span{entry.line, std::max(entry.line, entry.end_line)};
    auto [it, inserted] = index.emplace(Upper(entry.key), variables.size());
    if (inserted) {
      variables.push_back({{entry.key, {span}}, std::move(entry.value)});
    } else {
      Assigned& assigned = variables[it->second];
      assigned.variable.variable = entry.key;
      assigned.variable.lines.push_back(span);
      assigned.value = std::move(entry.value);
    }
  }

  std::vector<bool> only_matched(options.only.size(), false);
  ImportPlan plan;
  std::map<std::string, std::size_t> secret_index;  // logical name -> position in plan.secrets
  for (Assigned& assigned : variables) {
    const std::string& var = assigned.variable.variable;
    const std::string name = SecretNameForDotenvVariable(var);
    const std::string prefixed = prefix.empty() ? name : JoinSecretPath(prefix, name);
    bool selected = false;
    for (std::size_t i = 0; i < options.only.size(); ++i) {
      if (NamedBy(options.only[i], var, name, prefixed)) {
        only_matched[i] = true;
        selected = true;
      }
    }
    std::string skip_reason;
    if (!options.only.empty()) {
      if (!selected) {
        skip_reason = "not named by --only";
      }
    } else if (SecretReason(var, assigned.value).empty()) {
      skip_reason = IsLocksmithConfiguration(Upper(var))
                        ? "locksmith's own configuration; --only " + var + " imports it anyway"
                        : "not named like a secret; --only " + var + " imports it";
    }
    if (skip_reason.empty() && assigned.value.empty()) {
      skip_reason = "empty value";
    }
    if (!skip_reason.empty()) {
      plan.skipped.push_back({std::move(assigned.variable), std::move(skip_reason)});
      continue;
    }
    auto [it, inserted] = secret_index.emplace(prefixed, plan.secrets.size());
    if (inserted) {
      PlannedSecret secret;
      secret.name = prefixed;
      secret.value = std::move(assigned.value);
      if (auto valid = ValidateSecretName(prefixed); !valid.ok()) {
        secret.problem = valid.error().message;
      }
      secret.variables.push_back(std::move(assigned.variable));
      plan.secrets.push_back(std::move(secret));
      continue;
    }
    // An alias of a variable already seen (DB_PASSWORD after DATABASE_PASSWORD).
    PlannedSecret& secret = plan.secrets[it->second];
    if (secret.problem.empty() && !(secret.value == assigned.value)) {
      secret.problem = "set by both " + secret.variables.front().variable + " and " + var +
                       " with different values; keep the right one in the file and run again";
    }
    secret.variables.push_back(std::move(assigned.variable));
  }

  for (std::size_t i = 0; i < options.only.size(); ++i) {
    if (!only_matched[i]) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--only " + options.only[i] +
                           ": no such variable (or secret name) in the file; nothing imported");
    }
  }
  return plan;
}

}  // namespace locksmith
