#include "cli/import_command.h"

#include <array>
#include <optional>
#include <ostream>
#include <utility>

#include "cli/import_plan.h"
#include "providers/dotenv/dotenv_parser.h"

namespace locksmith {
namespace {

enum class Outcome { kImported, kUnchanged, kWouldImport, kFailed };

struct SecretResult {
  Outcome outcome = Outcome::kFailed;
  std::string detail;  // version id, or the reason of a failure
  ErrorCode code = ErrorCode::kFailedPrecondition;
};

SecretResult Failed(ErrorCode code, std::string why) {
  return {Outcome::kFailed, std::move(why), code};
}

// Reads past the cache: the back end's answer now, not what this process saw before.
SecretResult ImportOne(SecretsManager& manager, const PlannedSecret& secret, bool dry_run) {
  if (!secret.problem.empty()) {
    return Failed(ErrorCode::kFailedPrecondition, secret.problem);
  }
  Result<Secret> current = manager.RefreshVersion(secret.name, VersionSelector::Current());
  if (current.ok() && current->value == secret.value) {
    return {Outcome::kUnchanged, current->version.version_id};
  }
  if (!current.ok() && current.error().code != ErrorCode::kNotFound) {
    return Failed(current.error().code,
                  "cannot read its current value to compare: " + current.error().message);
  }
  if (dry_run) {
    return {Outcome::kWouldImport, current.ok() ? "a new version" : "a new secret"};
  }
  Result<VersionInfo> written = manager.Put(secret.name, secret.value);
  if (!written.ok()) {
    return Failed(written.error().code, "write refused: " + written.error().message);
  }
  const std::string& version = written->version_id;
  Result<Secret> back = manager.RefreshVersion(secret.name, VersionSelector::ById(version));
  if (!back.ok()) {
    return Failed(back.error().code, "written as version " + version +
                                         " but reading it back failed: " + back.error().message +
                                         "; keep its line and run again");
  }
  if (!(back->value == secret.value)) {
    return Failed(ErrorCode::kDataLoss, "version " + version +
                                            " read back differs from the file's value; keep "
                                            "its line and check the back end");
  }
  return {Outcome::kImported, version};
}

std::string Sources(const std::vector<ImportVariable>& variables) {
  std::string text;
  for (const ImportVariable& v : variables) {
    text += (text.empty() ? "" : ", ") + v.variable + " (" + DescribeLines(v.lines) + ")";
  }
  return text;
}

std::string_view Label(Outcome outcome) {
  switch (outcome) {
    case Outcome::kImported:
      return "imported     ";
    case Outcome::kUnchanged:
      return "unchanged    ";
    case Outcome::kWouldImport:
      return "would import ";
    case Outcome::kFailed:
      return "FAILED       ";
  }
  return "";
}

}  // namespace

Result<void> ImportCommand(SecretsManager& manager, const ImportCommandOptions& options,
                           std::ostream& out) {
  if (manager.Backend() == "dotenv") {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "import moves secrets out of .env files into a secrets manager, but the "
                     "configured back end is the .env file itself; set SECRETS_BACKEND=local, "
                     "vault or aws (and ENABLE_SECRETS_MANAGER=true)");
  }
  const std::string label = options.file.string();
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue content, internal::ReadDotenvFile(options.file));
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<internal::DotenvEntry> entries,
                             internal::ParseDotenv(content.RevealUnsafe(), label));
  LOCKSMITH_ASSIGN_OR_RETURN(ImportPlan plan,
                             PlanImport(std::move(entries), {options.prefix, options.only}));

  const std::string backend(manager.Backend());
  out << (options.dry_run ? "Dry run (nothing is written): " : "Importing ") << plan.secrets.size()
      << " secret(s) from " << label << " into " << backend << "\n";
  std::array<int, 4> counts{};
  std::optional<ErrorCode> failure_code;
  std::vector<const ImportVariable*> to_delete;
  for (const PlannedSecret& secret : plan.secrets) {
    SecretResult result = ImportOne(manager, secret, options.dry_run);
    ++counts[static_cast<int>(result.outcome)];
    out << Label(result.outcome) << secret.name << " <- " << Sources(secret.variables);
    switch (result.outcome) {
      case Outcome::kImported:
        out << ": version " << result.detail << ", read back and verified\n";
        break;
      case Outcome::kUnchanged:
        out << ": the back end already holds this value (version " << result.detail
            << "); nothing written\n";
        break;
      case Outcome::kWouldImport:
        out << ": " << result.detail << "\n";
        break;
      case Outcome::kFailed:
        out << ": " << result.detail << "\n";
        failure_code = (!failure_code || *failure_code == result.code)
                           ? result.code
                           : ErrorCode::kFailedPrecondition;
        break;
    }
    if (result.outcome != Outcome::kFailed) {
      for (const ImportVariable& v : secret.variables) {
        to_delete.push_back(&v);
      }
    }
  }
  for (const SkippedVariable& skipped : plan.skipped) {
    out << "skipped      " << skipped.variable.variable << " ("
        << DescribeLines(skipped.variable.lines) << "): " << skipped.reason << "\n";
  }
  out << "\n"
      << counts[static_cast<int>(Outcome::kImported)] << " imported, "
      << counts[static_cast<int>(Outcome::kUnchanged)] << " unchanged, ";
  if (options.dry_run) {
    out << counts[static_cast<int>(Outcome::kWouldImport)] << " to import, ";
  }
  out << counts[static_cast<int>(Outcome::kFailed)] << " failed, " << plan.skipped.size()
      << " skipped\n";

  if (!to_delete.empty()) {
    out << "\n";
    if (options.dry_run) {
      out << "After the import, delete these lines from " << label << ":\n";
    } else {
      out << "Now delete these lines from " << label << " (the values are in " << backend << "):\n";
    }
    for (const ImportVariable* v : to_delete) {
      out << "  " << DescribeLines(v->lines) << ": " << v->variable << "\n";
    }
    out << "then run `locksmith check` (docs/migrating-from-dotenv.md).\n";
  }
  out.flush();
  if (failure_code) {
    const int failed = counts[static_cast<int>(Outcome::kFailed)];
    return MakeError(*failure_code, std::to_string(failed) +
                                        " secret(s) not imported (see FAILED above); their lines "
                                        "stay in the file, the others were " +
                                        (options.dry_run ? "checked" : "imported"));
  }
  if (!out) {
    return MakeError(ErrorCode::kUnavailable, "cannot write to stdout");
  }
  return OkResult();
}

}  // namespace locksmith
