// locksmith: the command-line program. It parses flags, builds the runtime from the environment,
// calls the commands in src/commands and maps errors to exit codes (docs/cli.md). No behaviour
// lives here; no exception leaves main().
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "locksmith/commands.h"
#include "locksmith/key_commands.h"
#include "locksmith/log.h"

namespace locksmith {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"locksmith: read, write and serve secrets (docs/cli.md)", "locksmith"};
  app.require_subcommand(1);
  app.footer(
      "Configuration comes from the environment (SECRETS_BACKEND, LOCKSMITH_STORE, ...).\n"
      "Exit codes: 0 ok, 2 usage, 3 not found, 4 denied, 5 unavailable, 1 other.");

  GetOptions get;
  CLI::App* get_cmd = app.add_subcommand("get", "Print a secret's value");
  get_cmd->add_option("name", get.name, "Secret name, or name#field for a JSON secret")->required();
  get_cmd->add_option("--stage", get.stage, "Version stage: current, previous or pending");
  get_cmd->add_option("--version", get.version_id, "Version id (wins over --stage)");
  get_cmd->add_flag("--json", get.json, "Print a GetSecretValue-shaped JSON document");

  std::string put_name;
  std::optional<std::string> put_value;
  CLI::App* put_cmd =
      app.add_subcommand("put", "Store a new current version; the value is read from stdin");
  put_cmd->add_option("name", put_name, "Secret name")->required();
  put_cmd->add_option("--value", put_value,
                      "Take the value from this argument instead of stdin (discouraged: other "
                      "local users can read a process's arguments)");

  std::string rotate_name;
  std::size_t rotate_bytes = kDefaultRotateBytes;
  CLI::App* rotate_cmd =
      app.add_subcommand("rotate", "Store a fresh random value; prints the new version id");
  rotate_cmd->add_option("name", rotate_name, "Secret name")->required();
  rotate_cmd->add_option("--bytes", rotate_bytes, "Random bytes (base64-encoded), default 32")
      ->check(CLI::Range(1, 4096));

  std::string list_prefix;
  CLI::App* list_cmd = app.add_subcommand("list", "List secret names");
  list_cmd->add_option("prefix", list_prefix, "Only names starting with this");

  std::string describe_name;
  bool describe_json = false;
  CLI::App* describe_cmd =
      app.add_subcommand("describe", "Show a secret's versions and stages (never its value)");
  describe_cmd->add_option("name", describe_name, "Secret name")->required();
  describe_cmd->add_flag("--json", describe_json, "Print JSON");

  bool status_json = false;
  CLI::App* status_cmd =
      app.add_subcommand("status", "Back end, reachability, breaker and cache state");
  status_cmd->add_flag("--json", status_json, "Print JSON");

  std::string listen;
  bool allow_non_loopback = false;
  CLI::App* agent_cmd =
      app.add_subcommand("agent", "Serve secrets over HTTP on loopback (docs/agent.md)");
  agent_cmd->add_option("--listen", listen,
                        "ADDRESS:PORT to listen on (default 127.0.0.1:2773, or "
                        "LOCKSMITH_AGENT_LISTEN); port 0 picks a free port");
  agent_cmd->add_flag("--allow-non-loopback", allow_non_loopback,
                      "Allow listening on an address other than loopback");

  // Key commands (docs/jwt-rotation.md, docs/ciphertext-format.md).
  CLI::App* jwt_cmd = app.add_subcommand("jwt", "Sign or verify a JWT with a key ring");
  jwt_cmd->require_subcommand(1);
  JwtSignCommandOptions jwt_sign;
  CLI::App* jwt_sign_cmd = jwt_cmd->add_subcommand("sign", "Print a signed token");
  jwt_sign_cmd->add_option("--key", jwt_sign.key, "Signing secret (default jwt-secret)");
  jwt_sign_cmd->add_option("--claims", jwt_sign.claims, "Claims, a JSON object");
  jwt_sign_cmd->add_option("--ttl", jwt_sign.ttl, "Lifetime, e.g. 15m (default)");
  std::string jwt_verify_key = "jwt-secret";
  std::string jwt_token;
  CLI::App* jwt_verify_cmd =
      jwt_cmd->add_subcommand("verify", "Print a token's claims; exit 0 only if valid");
  jwt_verify_cmd->add_option("--key", jwt_verify_key, "Signing secret (default jwt-secret)");
  jwt_verify_cmd->add_option("token", jwt_token, "The token")->required();
  std::string crypt_key = "db-encryption-key";
  std::string crypt_aad;
  CLI::App* encrypt_cmd = app.add_subcommand("encrypt", "Encrypt stdin to stdout (text form)");
  CLI::App* decrypt_cmd = app.add_subcommand("decrypt", "Decrypt stdin to stdout");
  for (CLI::App* cmd : {encrypt_cmd, decrypt_cmd}) {
    cmd->add_option("--key", crypt_key, "Key secret (default db-encryption-key)");
    cmd->add_option("--aad", crypt_aad, "Context bound to the value, e.g. users.email.42")
        ->required();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help
    }
    // Extra arguments are not echoed: `locksmith put NAME VALUE` must not print the value.
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      std::cerr << "locksmith: unexpected extra arguments (put reads the value from stdin)\n";
    } else {
      std::cerr << "locksmith: " << e.what() << "\n";
    }
    std::cerr << app.help();
    return kExitUsage;
  }

  const bool is_agent = agent_cmd->parsed();
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  if (is_agent) {
    // Blocked before any thread starts, so every thread inherits the mask and the main thread
    // alone receives SIGINT/SIGTERM through sigwait.
    sigaddset(&shutdown_signals, SIGINT);
    sigaddset(&shutdown_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  }

  EnvLookup env = ProcessEnv();
  auto runtime =
      BuildCliRuntime(env, /*background_refresh=*/is_agent, SystemClock(), SystemRandom());
  if (!runtime.ok()) {
    return ReportError(runtime.error(), std::cerr);
  }
  SecretsManager& manager = *runtime->manager;

  Result<void> result;
  if (get_cmd->parsed()) {
    result = GetCommand(manager, get, std::cout);
  } else if (put_cmd->parsed()) {
    Result<SecretValue> value = MakeError(ErrorCode::kInternal, "no value");
    if (put_value) {
      std::cerr << "locksmith: warning: --value exposes the value in the process list; "
                   "prefer stdin\n";
      value = SecretValue(*put_value);
      OPENSSL_cleanse(put_value->data(), put_value->size());
    } else {
      value = ReadSecretFromFd(STDIN_FILENO);
    }
    result = value.ok() ? PutCommand(manager, put_name, *value, std::cout)
                        : Result<void>(std::move(value).error());
  } else if (rotate_cmd->parsed()) {
    result = RotateCommand(manager, SystemRandom(), rotate_name, rotate_bytes, std::cout);
  } else if (list_cmd->parsed()) {
    result = ListCommand(manager, list_prefix, std::cout);
  } else if (describe_cmd->parsed()) {
    result = DescribeCommand(manager, describe_name, describe_json, std::cout);
  } else if (status_cmd->parsed()) {
    result = StatusCommand(manager, status_json, std::cout);
  } else if (jwt_sign_cmd->parsed()) {
    result = JwtSignCommand(manager, SystemClock(), jwt_sign, std::cout);
  } else if (jwt_verify_cmd->parsed()) {
    result = JwtVerifyCommand(manager, SystemClock(), jwt_verify_key, jwt_token, std::cout);
  } else if (encrypt_cmd->parsed()) {
    result = EncryptCommand(manager, SystemRandom(), runtime->metrics.get(), crypt_key, crypt_aad,
                            std::cin, std::cout);
  } else if (decrypt_cmd->parsed()) {
    result = DecryptCommand(manager, SystemRandom(), runtime->metrics.get(), crypt_key, crypt_aad,
                            std::cin, std::cout);
  } else if (is_agent) {
    AgentCommandOptions options = AgentCommandOptionsFromEnv(runtime->config, env);
    if (!listen.empty()) {
      options.listen = listen;
    }
    options.allow_non_loopback = allow_non_loopback;
    result = AgentCommand(manager, runtime->metrics.get(), SystemRandom(), options, std::cerr,
                          [&](const AgentServer&) {
                            int signal_number = 0;
                            sigwait(&shutdown_signals, &signal_number);
                            Logger()->info("received {}, shutting down", strsignal(signal_number));
                          });
  }
  std::cout.flush();
  if (!result.ok()) {
    return ReportError(result.error(), std::cerr);
  }
  return kExitOk;
}

}  // namespace
}  // namespace locksmith

int main(int argc, char** argv) {
  try {
    return locksmith::Run(argc, argv);
  } catch (...) {
    // Not e.what(): a third-party message could quote input.
    std::cerr << "locksmith: internal error (unexpected exception)\n";
    return locksmith::kExitFailure;
  }
}
