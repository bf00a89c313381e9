// get, put, rotate, list, describe, status.
#include <time.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "agent/secret_json.h"
#include "cli/commands.h"
#include "core/time_format.h"
#include "locksmith/naming.h"

namespace locksmith {
namespace {

using nlohmann::ordered_json;

std::string Dump(const ordered_json& j) {
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

std::string StageLabels(const std::vector<Stage>& stages) {
  std::string labels;
  for (Stage s : stages) {
    if (!labels.empty()) {
      labels += ",";
    }
    labels += internal::AwsStageLabel(s);
  }
  return labels.empty() ? "-" : labels;
}

ordered_json StagesJson(const std::vector<Stage>& stages) {
  ordered_json labels = ordered_json::array();
  for (Stage s : stages) {
    labels.push_back(std::string(internal::AwsStageLabel(s)));
  }
  return labels;
}

}  // namespace

Result<void> GetCommand(SecretsManager& manager, const GetOptions& options, std::ostream& out) {
  std::optional<Stage> stage;
  if (!options.stage.empty()) {
    stage = ParseStage(options.stage);
    if (!stage) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--stage must be current, previous or pending, got '" + options.stage + "'");
    }
  }
  VersionSelector selector = !options.version_id.empty() ? VersionSelector::ById(options.version_id)
                             : stage                     ? VersionSelector::AtStage(*stage)
                                                         : VersionSelector::Current();
  LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, manager.GetVersion(options.name, selector));
  if (!options.version_id.empty() && stage && !secret.version.HasStage(*stage)) {
    return MakeError(ErrorCode::kNotFound, "version " + options.version_id + " of '" +
                                               options.name + "' does not have stage " +
                                               std::string(StageName(*stage)));
  }
  if (options.json) {
    secret.name = options.name;
    SecretValue document = internal::SecretToJson(secret, "");
    out.write(document.RevealUnsafe().data(),
              static_cast<std::streamsize>(document.RevealUnsafe().size()));
  } else {
    std::string_view value = secret.value.RevealUnsafe();
    out.write(value.data(), static_cast<std::streamsize>(value.size()));
  }
  out << "\n";
  out.flush();
  if (!out) {
    return MakeError(ErrorCode::kUnavailable, "cannot write to stdout");
  }
  return OkResult();
}

Result<void> PutCommand(SecretsManager& manager, std::string_view name, const SecretValue& value,
                        std::ostream& out) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  if (value.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the value is empty");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VersionInfo version, manager.Put(name, value, Stage::kCurrent));
  out << version.version_id << "\n";
  return OkResult();
}

Result<void> RotateCommand(SecretsManager& manager, std::string_view name, std::size_t bytes,
                           std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(VersionInfo version, manager.Rotate(name, bytes));
  out << version.version_id << "\n";
  return OkResult();
}

Result<void> ListCommand(SecretsManager& manager, std::string_view prefix, std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<std::string> names, manager.List(prefix));
  for (const std::string& name : names) {
    out << name << "\n";
  }
  return OkResult();
}

Result<void> DescribeCommand(SecretsManager& manager, std::string_view name, bool json,
                             std::ostream& out) {
  LOCKSMITH_ASSIGN_OR_RETURN(SecretDescription description, manager.Describe(name));
  if (json) {
    ordered_json doc;
    doc["Name"] = description.name;
    if (description.last_rotated) {
      doc["LastRotatedDate"] = internal::EpochSeconds(*description.last_rotated);
    }
    ordered_json to_stages = ordered_json::object();
    ordered_json versions = ordered_json::array();
    for (const VersionInfo& v : description.versions) {
      to_stages[v.version_id] = StagesJson(v.stages);
      versions.push_back({{"VersionId", v.version_id},
                          {"VersionStages", StagesJson(v.stages)},
                          {"CreatedDate", internal::EpochSeconds(v.created)}});
    }
    doc["VersionIdsToStages"] = to_stages;
    doc["Versions"] = versions;
    out << Dump(doc) << "\n";
    return OkResult();
  }
  out << "name:         " << description.name << "\n";
  if (description.last_rotated) {
    out << "last rotated: " << internal::FormatRfc3339Utc(*description.last_rotated) << "\n";
  }
  out << "versions:\n";
  for (const VersionInfo& v : description.versions) {
    out << "  " << v.version_id << "  " << StageLabels(v.stages) << "  "
        << internal::FormatRfc3339Utc(v.created) << "\n";
  }
  return OkResult();
}

Result<void> StatusCommand(SecretsManager& manager, bool json, std::ostream& out) {
  ManagerStatus status = manager.Status();
  // Back-end facts, when the provider has any (Vault: the token's TTL, never the token).
  std::optional<Result<StatusDetailList>> details;
  if (auto facts = manager.BackendDetails(); !facts.ok() || !facts->empty()) {
    details = std::move(facts);
  }
  auto probe = manager.List("");
  // A back end that answered the details call is reachable with working credentials; a policy
  // that denies listing (Vault's least-privilege policy grants only `read`) is not an outage.
  const bool list_denied = !probe.ok() && probe.error().code == ErrorCode::kPermissionDenied &&
                           details.has_value() && details->ok();
  const bool reachable = probe.ok() || list_denied;
  if (json) {
    ordered_json doc;
    doc["backend"] = status.backend;
    doc["reachable"] = reachable;
    if (probe.ok()) {
      doc["secrets"] = probe->size();
    } else if (list_denied) {
      doc["secrets"] = nullptr;
      doc["list"] = "denied by policy";
    } else {
      doc["error"] = {{"code", std::string(ErrorCodeName(probe.error().code))},
                      {"message", probe.error().message}};
    }
    doc["breaker"] = std::string(BreakerStateName(status.breaker));
    doc["cache"] = {{"entries", status.cached_entries},
                    {"hits", status.cache_hits},
                    {"misses", status.cache_misses}};
    if (details.has_value() && details->ok()) {
      ordered_json facts = ordered_json::object();
      for (const auto& [label, value] : **details) {
        facts[label] = value;
      }
      doc["details"] = facts;
    } else if (details.has_value()) {
      doc["details_error"] = {{"code", std::string(ErrorCodeName(details->error().code))},
                              {"message", details->error().message}};
    }
    out << Dump(doc) << "\n";
  } else {
    out << "backend:   " << status.backend << "\n";
    if (probe.ok()) {
      out << "reachable: yes (" << probe->size() << " secrets)\n";
    } else if (list_denied) {
      out << "reachable: yes (listing denied by policy)\n";
    } else {
      out << "reachable: no (" << ErrorCodeName(probe.error().code) << ")\n";
    }
    out << "breaker:   " << BreakerStateName(status.breaker) << "\n";
    out << "cache:     " << status.cached_entries << " entries, " << status.cache_hits << " hits, "
        << status.cache_misses << " misses\n";
    if (details.has_value() && details->ok()) {
      for (const auto& [label, value] : **details) {
        out << label << ":" << std::string(label.size() < 16 ? 16 - label.size() : 1, ' ') << value
            << "\n";
      }
    } else if (details.has_value()) {
      out << "details:   unavailable (" << ErrorCodeName(details->error().code) << ")\n";
    }
  }
  out.flush();
  if (!reachable) {
    return std::move(probe).error();
  }
  return OkResult();
}

}  // namespace locksmith
