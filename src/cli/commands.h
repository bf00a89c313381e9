// The `locksmith` CLI's commands as library functions, so they can be tested without a process:
// apps/locksmith only parses flags, calls these and maps errors to exit codes (docs/cli.md).
// Every command writes its result to `out`; nothing here prints a secret value except `get` to
// its own `out`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_server.h"
#include "cli/agent_token.h"
#include "locksmith/clock.h"
#include "locksmith/config.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/metrics.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

// Exit codes of the CLI.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // anything not listed below
inline constexpr int kExitUsage = 2;        // bad flags or arguments (also kInvalidArgument)
inline constexpr int kExitNotFound = 3;     // kNotFound
inline constexpr int kExitDenied = 4;       // kPermissionDenied, kUnauthenticated
inline constexpr int kExitUnavailable = 5;  // kUnavailable, kThrottled, kDeadlineExceeded

int ExitCodeFor(ErrorCode code);

// Prints "locksmith: <message>" on `err` and returns ExitCodeFor(error.code).
int ReportError(const Error& error, std::ostream& err);

// Everything a command needs, built from the environment (see BuildCliRuntime).
struct CliRuntime {
  Config config;
  SecretsManagerPtr manager;  // owns its metrics: manager->metrics()
};

// LoadConfig(env), then the manager as SecretsManager::FromEnv builds it. `background_refresh`
// is on for the agent and off for one-shot commands. `clock` and `random` must outlive it.
Result<CliRuntime> BuildCliRuntime(const EnvLookup& env, bool background_refresh, Clock& clock,
                                   Random& random);

// Reads a secret value from `fd` (stdin for `put`) to EOF, dropping one trailing newline ("\n"
// or "\r\n"). Errors: kInvalidArgument for an empty value or one over 64 KiB.
Result<SecretValue> ReadSecretFromFd(int fd);

struct GetOptions {
  std::string name;        // a reference: "name" or "name#field"
  std::string stage;       // "current", "previous", "pending" or AWSCURRENT...; empty: current
  std::string version_id;  // wins over stage; with both, the version must have the stage
  bool json = false;       // {"Name","VersionId","VersionStages","CreatedDate","SecretString"}
};
// Prints the value and a newline (or the JSON document).
Result<void> GetCommand(SecretsManager& manager, const GetOptions& options, std::ostream& out);

// Stores `value` as the new current version; prints the version id.
Result<void> PutCommand(SecretsManager& manager, std::string_view name, const SecretValue& value,
                        std::ostream& out);

inline constexpr std::size_t kDefaultRotateBytes = 32;
// SecretsManager::Rotate with `bytes` random bytes; prints the new version id (never the value).
Result<void> RotateCommand(SecretsManager& manager, std::string_view name, std::size_t bytes,
                           std::ostream& out);

// One name per line.
Result<void> ListCommand(SecretsManager& manager, std::string_view prefix, std::ostream& out);

// Versions, stages and dates; never the value.
Result<void> DescribeCommand(SecretsManager& manager, std::string_view name, bool json,
                             std::ostream& out);

// Back end, reachability (a List probe), breaker and cache state, plus the provider's own facts
// (Provider::StatusDetails) when it has any. Prints the report, then fails with
// the probe's error if the back end is unreachable. A List denied by policy (kPermissionDenied)
// while the details call succeeded counts as reachable.
Result<void> StatusCommand(SecretsManager& manager, bool json, std::ostream& out);

// The development secrets `locksmith agent` creates on an empty local store.
struct SeedSpec {
  std::string_view name;
  std::size_t bytes;
};
std::vector<SeedSpec> DevelopmentSeeds();

// Creates DevelopmentSeeds() with random values (SecretsManager::Rotate) when the back end is the
// local store, it is empty and `app_env` is not production ("production" or "prod", any case).
// Returns the names created (empty when it did nothing) and logs them (names only).
Result<std::vector<std::string>> SeedDevelopmentSecrets(SecretsManager& manager,
                                                        std::string_view app_env);

struct ListenAddress {
  std::string host;
  int port = kDefaultAgentPort;
};
// "127.0.0.1:2773", "localhost:0", "[::1]:2773", or ":2773" (loopback).
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct AgentCommandOptions {
  std::string listen = "127.0.0.1:2773";
  bool allow_non_loopback = false;
  // LOCKSMITH_AGENT_TOKEN: the token or file:///path. Unset: the token in token_file, generated
  // and written (mode 0600) when the file is missing, or always when new_token is set.
  std::optional<SecretValue> token_spec;
  std::filesystem::path token_file;
  bool new_token = false;  // --new-token
  std::string app_env;     // APP_ENV; production ("production", "prod") turns seeding off
  bool seed = true;
  // --template SRC:DEST[:MODE[:COMMAND]] (cli/template_spec.h), rendered before the agent serves.
  std::vector<std::string> templates;
};

// The agent options the environment asks for: LOCKSMITH_AGENT_TOKEN, APP_ENV,
// LOCKSMITH_AGENT_LISTEN, and the token file next to the local store (<dir>/agent.token).
AgentCommandOptions AgentCommandOptionsFromEnv(const Config& config, const EnvLookup& env);

// Seeds (see SeedDevelopmentSecrets), renders the templates (cli/template_runner.h; an error stops
// here), resolves the token, starts the agent, tells `err` where it listens and how to query it
// (never the token itself), then calls `wait_for_shutdown` and stops the agent when it returns.
Result<void> AgentCommand(SecretsManager& manager, Metrics* metrics, Random& random,
                          const AgentCommandOptions& options, std::ostream& err,
                          const std::function<void(const AgentServer&)>& wait_for_shutdown);

}  // namespace locksmith
