// `locksmith check`: the checklist's items in order, printed as lines or JSON. The env-secrets
// item is in check_env_secrets.cc, the log scan in check_log_scan.cc.
#include "cli/check_command.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "locksmith/duration.h"
#include "locksmith/naming.h"

namespace locksmith {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kCheckDay = std::chrono::hours(24);

// The secrets checked: the standard ones, then each --secret not already among them.
Result<std::vector<std::string>> CheckedNames(const CheckOptions& options) {
  std::vector<std::string> names;
  for (const StandardSecret& secret : StandardSecrets()) {
    names.emplace_back(secret.name);
  }
  for (const std::string& name : options.secrets) {
    if (auto valid = ValidateSecretName(name); !valid.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "--secret: " + valid.error().message);
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

// --max-age NAME=DURATION, each.
Result<std::map<std::string, milliseconds>> ParseMaxAges(const CheckOptions& options) {
  std::map<std::string, milliseconds> ages;
  for (const std::string& spec : options.max_ages) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--max-age takes NAME=DURATION (e.g. jwt-secret=30d), got '" + spec + "'");
    }
    const std::string name = spec.substr(0, eq);
    if (auto valid = ValidateSecretName(name); !valid.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, "--max-age: " + valid.error().message);
    }
    auto age = ParseDuration(std::string_view(spec).substr(eq + 1));
    if (!age.ok() || age->count() <= 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--max-age " + name + ": a duration such as 90d, 2160h or 30d12h");
    }
    ages[name] = *age;
  }
  return ages;
}

Result<std::string> EnvFileToCheck(const CheckContext& context, const CheckOptions& options) {
  std::error_code ec;
  if (!options.env_file.empty()) {
    if (!std::filesystem::exists(options.env_file, ec)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--env-file " + options.env_file + ": no such file");
    }
    return options.env_file;
  }
  const std::filesystem::path configured = context.config.dotenv.file;
  if (std::filesystem::exists(configured, ec)) {
    return configured.string();
  }
  return std::string();
}

std::string Days(milliseconds age) {
  if (age.count() % kCheckDay.count() == 0) {
    return std::to_string(age / kCheckDay) + "d";
  }
  return FormatDuration(age);
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : ", ") + word;
  }
  return text;
}

CheckItem CheckSecretAges(const CheckContext& context, const std::vector<std::string>& names,
                          const std::vector<std::string>& required,
                          const std::map<std::string, milliseconds>& max_ages) {
  CheckItem item{"secret-age"};
  std::vector<std::string> too_old;
  std::vector<std::string> young;
  std::vector<std::string> errors;
  for (const std::string& name : names) {
    auto described = context.manager.Describe(name);
    const bool asked = std::find(required.begin(), required.end(), name) != required.end() ||
                       max_ages.count(name) > 0;
    if (!described.ok()) {
      // A standard secret this deployment does not use is not an error; one asked for is.
      if (described.error().code != ErrorCode::kNotFound || asked) {
        errors.push_back(name + " (" + std::string(ErrorCodeName(described.error().code)) + ")");
      }
      continue;
    }
    auto current = std::find_if(described->versions.begin(), described->versions.end(),
                                [](const VersionInfo& v) { return v.HasStage(Stage::kCurrent); });
    if (current == described->versions.end()) {
      errors.push_back(name + " (no current version)");
      continue;
    }
    const auto max_it = max_ages.find(name);
    const milliseconds max = max_it != max_ages.end() ? max_it->second : DefaultMaxSecretAge(name);
    const milliseconds age = std::max(
        milliseconds(0),
        std::chrono::duration_cast<milliseconds>(context.clock.WallNow() - current->created));
    const std::string line =
        name + " " + std::to_string(age / kCheckDay) + "d old (max " + Days(max) + ")";
    (age > max ? too_old : young).push_back(line);
  }
  if (!too_old.empty() || !errors.empty()) {
    item.status = CheckStatus::kFail;
    if (!too_old.empty()) {
      item.detail = "past their rotation schedule: " + JoinWords(too_old) +
                    " (rotate: locksmith rotate NAME)";
    }
    if (!errors.empty()) {
      item.detail += std::string(item.detail.empty() ? "" : "; ") +
                     "cannot tell the age of: " + JoinWords(errors);
    }
    return item;
  }
  if (young.empty()) {
    item.status = CheckStatus::kSkip;
    item.detail = "no checked secret is stored (the standard names, or name them with --secret)";
    return item;
  }
  item.detail = JoinWords(young);
  return item;
}

CheckItem CheckCacheTtl(const Config& config) {
  CheckItem item{"cache-ttl"};
  const milliseconds ttl = config.manager.cache.ttl;
  item.detail = "LOCKSMITH_CACHE_TTL is " + FormatDuration(ttl);
  if (ttl < kCheckMinCacheTtl) {
    item.status = CheckStatus::kFail;
    item.detail += ", under " + FormatDuration(kCheckMinCacheTtl) +
                   ": every instance asks the back end that much more often";
  } else if (ttl > kCheckMaxCacheTtl) {
    item.status = CheckStatus::kFail;
    item.detail += ", over " + FormatDuration(kCheckMaxCacheTtl) +
                   ": a rotated secret takes that long to reach every instance";
  } else {
    item.detail += " (between " + FormatDuration(kCheckMinCacheTtl) + " and " +
                   FormatDuration(kCheckMaxCacheTtl) + ")";
  }
  return item;
}

CheckItem CheckBackend(SecretsManager& manager) {
  CheckItem item{"backend"};
  auto listed = manager.List("");
  const ManagerStatus status = manager.Status();
  std::string reach;
  if (listed.ok()) {
    reach = "reachable (" + std::to_string(listed->size()) + " secrets)";
  } else if (listed.error().code == ErrorCode::kPermissionDenied) {
    // The back end answered and took the credentials; least privilege forbids listing.
    reach = "reachable (listing denied by policy)";
  } else {
    item.status = CheckStatus::kFail;
    reach = "unreachable: " + listed.error().message;
  }
  item.detail = std::string(manager.Backend()) + " " + reach + ", circuit breaker " +
                std::string(BreakerStateName(status.breaker));
  if (status.breaker != BreakerState::kClosed) {
    item.status = CheckStatus::kFail;
  }
  return item;
}

std::string LineList(const std::vector<std::uint64_t>& lines) {
  constexpr std::size_t kShown = 10;
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < kShown; ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(lines[i]);
  }
  if (lines.size() > kShown) {
    text += " and " + std::to_string(lines.size() - kShown) + " more";
  }
  return text;
}

std::vector<CheckItem> CheckLogs(SecretsManager& manager, const std::vector<std::string>& names,
                                 const std::vector<std::string>& logs) {
  std::vector<LogNeedle> needles;
  std::vector<std::string> unreadable;
  for (const std::string& name : names) {
    auto value = manager.Get(name);
    if (value.ok()) {
      for (LogNeedle& needle : NeedlesFor(name, *value)) {
        needles.push_back(std::move(needle));
      }
    } else if (value.error().code != ErrorCode::kNotFound) {
      unreadable.push_back(name);
    }
  }
  std::vector<CheckItem> items;
  for (const std::string& log : logs) {
    CheckItem item{"log-scan"};
    if (needles.empty()) {
      item.status = CheckStatus::kSkip;
      item.detail = log + ": no secret value could be read to look for";
      items.push_back(std::move(item));
      continue;
    }
    auto scanned = ScanLogFile(log, needles);
    if (!scanned.ok()) {
      item.status = CheckStatus::kFail;
      item.detail = scanned.error().message;
    } else if (!scanned->lines.empty()) {
      item.status = CheckStatus::kFail;
      item.detail = log + ": a current secret value at line" +
                    (scanned->lines.size() > 1 ? "s " : " ") + LineList(scanned->lines) +
                    " (rotate " + JoinWords(scanned->secrets) + ", then purge the log)";
    } else {
      item.detail =
          log + ": no current value of the " + std::to_string(names.size()) + " secrets checked";
    }
    if (!unreadable.empty()) {
      item.detail += "; not looked for (unreadable): " + JoinWords(unreadable);
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

std::string_view CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kFail:
      return "FAIL";
    case CheckStatus::kSkip:
      return "skip";
    case CheckStatus::kWarn:
      return "warn";
  }
  return "?";
}

milliseconds DefaultMaxSecretAge(std::string_view name) {
  if (name == "db-encryption-key") {
    return 365 * kCheckDay;
  }
  if (name == "alchemy-api-key" || name == "infura-api-key" || name == "quicknode-api-key") {
    return 180 * kCheckDay;
  }
  return 90 * kCheckDay;  // jwt-secret, database-password, redis-password and any other
}

CheckItem CheckLeastPrivilege(SecretsManager& manager) {
  CheckItem item{"least-privilege"};
  auto probes = manager.ProbeLeastPrivilege();
  if (!probes.ok()) {
    item.status = CheckStatus::kSkip;
    const ErrorCode code = probes.error().code;
    if (code == ErrorCode::kUnimplemented) {
      item.detail =
          manager.Backend() == "local"
              ? "the embedded store is one user's file: no credentials to scope"
              : "the " + std::string(manager.Backend()) + " back end has no credentials to scope";
    } else {
      item.detail = "cannot probe: " + probes.error().message;
      if (code != ErrorCode::kPermissionDenied) {
        item.status = CheckStatus::kFail;
      }
    }
    return item;
  }
  std::vector<std::string> broad;
  std::vector<std::string> advisory;
  std::vector<std::string> denied;
  for (const PrivilegeProbe& probe : *probes) {
    const std::string line = probe.action + " " + probe.target + " (" + probe.detail + ")";
    if (probe.allowed && probe.advisory) {
      advisory.push_back(line);
    } else if (probe.allowed) {
      broad.push_back(line);
    } else {
      denied.push_back(probe.action + " " + probe.target);
    }
  }
  if (!broad.empty()) {
    item.status = CheckStatus::kFail;
    item.detail = "the credentials reach beyond their prefix: " + JoinWords(broad);
    if (!advisory.empty()) {
      item.detail += "; also " + JoinWords(advisory);
    }
  } else if (!advisory.empty()) {
    item.status = CheckStatus::kWarn;
    item.detail =
        "denied outside the prefix: " + JoinWords(denied) + "; but " + JoinWords(advisory);
  } else {
    item.detail = "denied outside the prefix: " + JoinWords(denied);
  }
  return item;
}

Result<std::vector<CheckItem>> RunChecks(const CheckContext& context, const CheckOptions& options) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<std::string> names, CheckedNames(options));
  LOCKSMITH_ASSIGN_OR_RETURN(auto max_ages, ParseMaxAges(options));
  LOCKSMITH_ASSIGN_OR_RETURN(std::string env_file, EnvFileToCheck(context, options));
  for (const auto& [name, age] : max_ages) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  std::vector<CheckItem> items;
  items.push_back(CheckEnvSecrets(context, env_file, names));
  items.push_back(CheckLeastPrivilege(context.manager));
  items.push_back(CheckSecretAges(context, names, options.secrets, max_ages));
  items.push_back(CheckCacheTtl(context.config));
  items.push_back(CheckBackend(context.manager));
  for (CheckItem& item : CheckLogs(context.manager, names, options.scan_logs)) {
    items.push_back(std::move(item));
  }
  return items;
}

Result<void> CheckCommand(const CheckContext& context, const CheckOptions& options,
                          std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<CheckItem> items, RunChecks(context, options));
  std::size_t failed = 0;
  if (options.json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const CheckItem& item : items) {
      std::string status(CheckStatusName(item.status));
      std::transform(status.begin(), status.end(), status.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      doc.push_back({{"item", item.item}, {"status", status}, {"detail", item.detail}});
    }
    out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  for (const CheckItem& item : items) {
    failed += item.status == CheckStatus::kFail ? 1 : 0;
    if (!options.json) {
      const std::string status(CheckStatusName(item.status));
      out << status << std::string(6 - status.size(), ' ') << item.item
          << std::string(item.item.size() < 17 ? 17 - item.item.size() : 1, ' ') << item.detail
          << "\n";
    }
  }
  out.flush();
  if (failed > 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "check: " + std::to_string(failed) + " of " +
                                                         std::to_string(items.size()) +
                                                         " items failed");
  }
  return OkResult();
}

}  // namespace locksmith
