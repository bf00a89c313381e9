// What `locksmith import` does with each variable of a `.env` file, decided before anything is
// written (docs/cli.md "import"): which variables are secrets, their logical names (aliases
// included: DB_PASSWORD is database-password), the lines they occupy, and why the others are
// skipped. Pure: no back end, no output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "providers/dotenv/dotenv_parser.h"

namespace locksmith {

// Lines [first, last] of one assignment (a quoted value may span lines).
struct LineSpan {
  int first = 0;
  int last = 0;
};

// One variable of the file as written by its last assignment, with every line assigning it.
struct ImportVariable {
  std::string variable;  // as written (last assignment)
  std::vector<LineSpan> lines;
};

// A secret to import: one logical name, the variables that set it (an alias and its canonical
// variable may both be present, with the same value), the value to store.
struct PlannedSecret {
  std::string name;  // logical name, prefix included
  std::vector<ImportVariable> variables;
  SecretValue value;
  std::string problem;  // non-empty: cannot be imported (e.g. two variables disagree); a failure
};

struct SkippedVariable {
  ImportVariable variable;
  std::string reason;
};

struct ImportPlan {
  std::vector<PlannedSecret> secrets;  // in file order
  std::vector<SkippedVariable> skipped;
};

struct ImportPlanOptions {
  std::string prefix{};             // "my-app": secrets go under my-app/<name>
  std::vector<std::string> only{};  // variables or logical names; empty: the secret-looking ones
};

// Why `variable` (with `value`) is taken for a secret without --only, or empty if it is not:
// a standard name or alias, a name ending in _KEY, _SECRET, _PASSWORD, _PASSWD, _PASS, _PWD,
// _TOKEN or _CREDENTIALS, or a URL with a password in it. locksmith's own configuration
// (SECRETS_BACKEND, ENABLE_SECRETS_MANAGER, APP_ENV, LOCKSMITH_*, VAULT_*, AWS_*) never is.
std::string SecretReason(std::string_view variable, const SecretValue& value);

// Errors (nothing may be written): kInvalidArgument for a bad prefix or an --only name that
// matches no variable of the file (variable, case-insensitive, or logical name).
Result<ImportPlan> PlanImport(std::vector<internal::DotenvEntry> entries,
                              const ImportPlanOptions& options);

// "line 3", "lines 3-5", "lines 3, 9".
std::string DescribeLines(const std::vector<LineSpan>& spans);

}  // namespace locksmith
