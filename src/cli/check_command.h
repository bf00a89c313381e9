// `locksmith check`: the guide's deployment checklist as a command (docs/cli.md "check"). Each
// item is one line, `ok`, `FAIL` or `skip` (with the reason), or `warn` (a finding no policy can
// fix, which does not fail the check); the command fails when any item fails. No output ever
// holds a secret value: items name variables, files, lines and secrets, never what they hold.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/config.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct CheckOptions {
  // --env-file PATH: the `.env` file searched for critical secrets; empty: LOCKSMITH_DOTENV_FILE
  // (else ./.env) when it exists.
  std::string env_file = {};
  std::vector<std::string> secrets = {};    // --secret NAME: checked (age, log scan, env) as well
  std::vector<std::string> max_ages = {};   // --max-age NAME=DURATION, e.g. jwt-secret=30d
  std::vector<std::string> scan_logs = {};  // --scan-log FILE
  bool json = false;                        // an array of {"item", "status", "detail"}
};

enum class CheckStatus { kOk, kFail, kSkip, kWarn };
// "ok", "FAIL", "skip", "warn" (the JSON form is lower-case: "fail").
std::string_view CheckStatusName(CheckStatus status);

struct CheckItem {
  std::string item = {};  // "env-secrets", "least-privilege", "secret-age", "cache-ttl", "backend",
                          // "log-scan"
  CheckStatus status = CheckStatus::kOk;
  std::string detail = {};
};

// What the checks look at besides their options; all must outlive the call.
struct CheckContext {
  SecretsManager& manager;
  const Config& config;  // cache TTL, back end, LOCKSMITH_DOTENV_FILE
  const EnvLookup& env;  // the process environment (ProcessEnv in the program)
  Clock& clock;          // ages are measured against clock.WallNow()
};

// The rotation schedule a secret is held to without --max-age: jwt-secret, database-password and
// redis-password 90 days, db-encryption-key 365 days, the RPC providers' API keys 180 days, any
// other secret 90 days.
std::chrono::milliseconds DefaultMaxSecretAge(std::string_view name);

// Cache TTL bounds of the guide (LOCKSMITH_CACHE_TTL).
inline constexpr std::chrono::minutes kCheckMinCacheTtl{5};
inline constexpr std::chrono::minutes kCheckMaxCacheTtl{10};

// Every item, in the checklist's order. kInvalidArgument for malformed options (a bad --max-age,
// a --secret that is not a name, an --env-file that does not exist).
Result<std::vector<CheckItem>> RunChecks(const CheckContext& context, const CheckOptions& options);

// RunChecks, printed on `out` (one line per item, or the JSON array). Fails with
// kFailedPrecondition (exit 1) when any item failed.
Result<void> CheckCommand(const CheckContext& context, const CheckOptions& options,
                          std::ostream& out);

// --- The items, for check_command.cc and tests. `names` are the secrets checked: the standard
// secrets plus --secret.

// No critical secret in `env_file` (may be empty: no file) or the environment.
CheckItem CheckEnvSecrets(const CheckContext& context, const std::string& env_file,
                          const std::vector<std::string>& names);
// SecretsManager::ProbeLeastPrivilege, as an item.
CheckItem CheckLeastPrivilege(SecretsManager& manager);

// Where a log scan found values (check_log_scan.cc).
struct LogScanResult {
  std::vector<std::uint64_t> lines;  // 1-based, ascending, each once
  std::vector<std::string> secrets;  // the names whose values were found, sorted, each once
};
// A needle: a secret's name and one string that must not appear (its value, a JSON field of it,
// its base64 form).
struct LogNeedle {
  std::string secret;
  SecretValue text;
};
// The needles for `value` of secret `name`: the value, its base64 form, and for a JSON object
// each string (at any depth) of at least kMinFieldNeedle bytes.
inline constexpr std::size_t kMinFieldNeedle = 8;
std::vector<LogNeedle> NeedlesFor(std::string_view name, const SecretValue& value);
// Streams `path` in bounded chunks (any size, any line length). kNotFound / kPermissionDenied /
// kUnavailable when it cannot be read (the message names the file only).
Result<LogScanResult> ScanLogFile(const std::string& path, const std::vector<LogNeedle>& needles);

}  // namespace locksmith
