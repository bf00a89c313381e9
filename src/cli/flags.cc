#include "cli/flags.h"

#include <CLI/CLI.hpp>
#include <ostream>
#include <utility>
#include <vector>

namespace locksmith {
namespace {

// Which subcommand each parsed CLI::App stands for.
using CommandTable = std::vector<std::pair<CLI::App*, Command>>;

void AddSecretCommands(CLI::App& app, Flags& f, CommandTable& table) {
  CLI::App* get = app.add_subcommand("get", "Print a secret's value");
  get->add_option("name", f.get.name, "Secret name, or name#field for a JSON secret")->required();
  get->add_option("--stage", f.get.stage, "Version stage: current, previous or pending");
  get->add_option("--version", f.get.version_id, "Version id (wins over --stage)");
  get->add_flag("--json", f.get.json, "Print a GetSecretValue-shaped JSON document");
  table.emplace_back(get, Command::kGet);

  CLI::App* put =
      app.add_subcommand("put", "Store a new current version; the value is read from stdin");
  put->add_option("name", f.name, "Secret name")->required();
  put->add_option("--value", f.put_value,
                  "Take the value from this argument instead of stdin (discouraged: other "
                  "local users can read a process's arguments)");
  table.emplace_back(put, Command::kPut);

  CLI::App* rotate = app.add_subcommand(
      "rotate",
      "Store a fresh random value; prints the new version id. With --postgres or --redis: a "
      "password rotated together with the server (create, set, test, finish, retire)");
  rotate->add_option("name", f.name, "Secret name")->required();
  CLI::Option* bytes =
      rotate->add_option("--bytes", f.rotate_bytes, "Random bytes (base64-encoded), default 32")
          ->check(CLI::Range(1, 4096));
  // docs/credential-rotation.md: no flag takes a password.
  CredentialRotateOptions& c = f.rotate_credential;
  std::vector<CLI::Option*> server_flags = {
      rotate->add_option("--postgres", c.postgres,
                         "Admin libpq DSN WITHOUT a password (~/.pgpass or PGPASSWORD supply it)"),
      rotate->add_option("--postgres-env", c.postgres_env,
                         "Name of an environment variable holding the full admin DSN"),
      rotate->add_option("--redis", c.redis,
                         "Admin URL redis://user@host:port or unix:///path WITHOUT a password "
                         "(REDISCLI_AUTH supplies it)"),
      rotate->add_option("--redis-env", c.redis_env,
                         "Name of an environment variable holding the full admin URL")};
  for (CLI::Option* o : server_flags) {
    o->excludes(bytes);
  }
  rotate
      ->add_option("--strategy", c.strategy,
                   "PostgreSQL: single-user (default) or alternating-users")
      ->check(CLI::IsMember({"single-user", "alternating-users"}));
  rotate->add_option("--user", c.user, "The user of a bare-password secret");
  rotate->add_option("--retire-after", c.retire_after,
                     "How long the previous password stays valid where the server keeps it "
                     "(Redis), from the promotion; default 6m (cache TTL + margin)");
  rotate->add_flag("--no-wait", c.no_wait,
                   "Stop after the promotion; run again later to retire the previous password");
  table.emplace_back(rotate, Command::kRotate);

  CLI::App* list = app.add_subcommand("list", "List secret names");
  list->add_option("prefix", f.list_prefix, "Only names starting with this");
  table.emplace_back(list, Command::kList);

  CLI::App* describe =
      app.add_subcommand("describe", "Show a secret's versions and stages (never its value)");
  describe->add_option("name", f.name, "Secret name")->required();
  describe->add_flag("--json", f.json, "Print JSON");
  table.emplace_back(describe, Command::kDescribe);

  CLI::App* status =
      app.add_subcommand("status", "Back end, reachability, breaker and cache state");
  status->add_flag("--json", f.json, "Print JSON");
  table.emplace_back(status, Command::kStatus);
}

void AddAgentCommand(CLI::App& app, Flags& f, CommandTable& table) {
  CLI::App* agent =
      app.add_subcommand("agent", "Serve secrets over HTTP on loopback (docs/agent.md)");
  agent->add_option("--listen", f.listen,
                    "ADDRESS:PORT to listen on (default 127.0.0.1:2773, or "
                    "LOCKSMITH_AGENT_LISTEN); port 0 picks a free port");
  agent->add_flag("--allow-non-loopback", f.allow_non_loopback,
                  "Allow listening on an address other than loopback");
  agent->add_flag("--new-token", f.new_token,
                  "Replace the token file with a new random token (it is otherwise kept across "
                  "restarts)");
  agent->add_option("--template", f.agent_templates,
                    "SRC:DEST[:MODE[:COMMAND]]: render ctemplate file SRC to DEST (mode 0600 or "
                    "octal MODE) at start and on every rotation, then run COMMAND (no shell) if "
                    "DEST changed; repeatable (docs/agent.md, Templates)");
  table.emplace_back(agent, Command::kAgent);
}

// Key commands (docs/jwt-rotation.md, docs/ciphertext-format.md).
void AddKeyCommands(CLI::App& app, Flags& f, CommandTable& table) {
  CLI::App* jwt = app.add_subcommand("jwt", "Sign or verify a JWT with a key ring");
  jwt->require_subcommand(1);
  CLI::App* sign = jwt->add_subcommand("sign", "Print a signed token");
  sign->add_option("--key", f.jwt_sign.key, "Signing secret (default jwt-secret)");
  sign->add_option("--claims", f.jwt_sign.claims, "Claims, a JSON object");
  sign->add_option("--ttl", f.jwt_sign.ttl, "Lifetime, e.g. 15m (default)");
  table.emplace_back(sign, Command::kJwtSign);
  CLI::App* verify = jwt->add_subcommand(
      "verify", "Print a token's claims (token read from stdin); exit 0 only if valid");
  verify->add_option("--key", f.jwt_verify_key, "Signing secret (default jwt-secret)");
  verify->add_option("token", f.jwt_token,
                     "The token; '-' or nothing: read it from stdin (preferred: other local users "
                     "can read a process's arguments)");
  table.emplace_back(verify, Command::kJwtVerify);

  CLI::App* encrypt = app.add_subcommand("encrypt", "Encrypt stdin to stdout (text form)");
  CLI::App* decrypt = app.add_subcommand("decrypt", "Decrypt stdin to stdout");
  for (CLI::App* cmd : {encrypt, decrypt}) {
    cmd->add_option("--key", f.crypt_key, "Key secret (default db-encryption-key)");
    cmd->add_option("--aad", f.crypt_aad, "Context bound to the value, e.g. users.email.42")
        ->required();
  }
  table.emplace_back(encrypt, Command::kEncrypt);
  table.emplace_back(decrypt, Command::kDecrypt);
}

// `reencrypt` (docs/reencryption.md): no flag takes a password; see --dsn.
void AddReencryptCommand(CLI::App& app, Flags& f, CommandTable& table) {
  ReencryptCommandOptions& r = f.reencrypt;
  CLI::App* cmd = app.add_subcommand(
      "reencrypt", "Move an encrypted PostgreSQL column onto the key ring's primary key");
  cmd->add_option("--dsn", r.dsn,
                  "libpq connection string or URI WITHOUT a password (the password comes from "
                  "~/.pgpass or PGPASSWORD; a DSN with one is refused)");
  cmd->add_option("--dsn-env", r.dsn_env,
                  "Name of an environment variable holding the full DSN, e.g. DATABASE_URL");
  cmd->add_option("--table", r.job.table, "Table, or schema.table")->required();
  cmd->add_option("--column", r.job.column, "The encrypted column (TEXT or BYTEA)")->required();
  cmd->add_option("--id-column", r.job.id_column, "Unique id column (default id)");
  cmd->add_option("--context", r.job.context_template,
                  "Associated data template (default {table}.{column}.{id})");
  cmd->add_option("--key", r.key, "Key secret (default db-encryption-key)");
  cmd->add_option("--batch-size", r.job.batch_size, "Rows per batch (default 1000)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--write-connections", r.job.write_connections,
                  "Connections writing batches while the next is read (default 2; 0: one "
                  "connection, one batch at a time)")
      ->check(CLI::Range(0, 16));
  cmd->add_option("--max-rows-per-second", r.max_rows_per_second,
                  "Rate limit (rows read per second); default unlimited")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--dry-run", r.job.dry_run, "Read and decrypt, write nothing");
  cmd->add_flag("--allow-nulls", r.allow_nulls,
                "NULL rows are reported but do not make the exit code 1 (a nullable column)");
  CLI::Option* verify = cmd->add_flag(
      "--verify", r.verify, "Count rows per key id and undecryptable rows; write nothing");
  cmd->add_option("--retiring", r.retiring,
                  "With --verify: fail while any row is still on this key id")
      ->needs(verify);
  table.emplace_back(cmd, Command::kReencrypt);
}

// `import` (docs/cli.md "import"): values come from the file, never from a flag.
void AddImportCommand(CLI::App& app, Flags& f, CommandTable& table) {
  ImportCommandOptions& i = f.import_options;
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Move the secrets of a .env file into the configured back end; prints the lines to delete");
  cmd->add_option("file", i.file, "The .env file")->required();
  cmd->add_option("--prefix", i.prefix, "Store the secrets under PREFIX/<name> (e.g. per app)");
  cmd->add_option("--only", i.only,
                  "Import only this variable or secret name (repeatable); also imports variables "
                  "not named like secrets");
  cmd->add_flag("--dry-run", i.dry_run, "Compare with the back end and report; write nothing");
  table.emplace_back(cmd, Command::kImport);
}

// `run` (docs/cli.md, "run"): the command comes after `--`.
void AddRunCommand(CLI::App& app, Flags& f, CommandTable& table) {
  RunChildOptions& r = f.run_child;
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a command with secrets in its environment (or files); restart or signal it on "
      "rotation: locksmith run [flags] -- CMD ARGS...");
  cmd->add_option("--secret", r.secrets,
                  "ENV=name: set ENV to secret `name` (name#field for a JSON field); repeatable. "
                  "Default: every standard secret that exists, under its canonical variable")
      ->allow_extra_args(false);
  cmd->add_flag("--env-file-names", r.env_file_names,
                "Default set: also under each .env alias (DB_PASSWORD, POSTGRES_PASSWORD, ...)");
  CLI::Option* restart = cmd->add_flag("--restart-on-change", r.restart_on_change,
                                       "Restart the command when a secret it uses rotates");
  cmd->add_option("--signal-on-change", r.signal_on_change,
                  "Send this signal (e.g. HUP) when a secret it uses rotates")
      ->excludes(restart);
  cmd->add_option("--change-jitter", r.change_jitter,
                  "Act on a rotation after a random delay up to this (default 0s)");
  cmd->add_option("--kill-timeout", r.kill_timeout,
                  "After SIGTERM (run stopping or restarting), SIGKILL after this (default 10s)");
  cmd->add_option("--secret-files", r.secret_files,
                  "Write each secret to a 0600 file in this private (0700) directory and set "
                  "ENV_FILE=path instead of ENV");
  cmd->add_option("command", r.command, "The command and its arguments, after --");
  table.emplace_back(cmd, Command::kRun);
}

// `check` (docs/cli.md "check"): the deployment checklist.
void AddCheckCommand(CLI::App& app, Flags& f, CommandTable& table) {
  CheckOptions& c = f.check;
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Check the deployment checklist: .env, least privilege, secret ages, cache TTL, "
      "back end, logs; exit 1 if any item fails");
  cmd->add_option("--env-file", c.env_file,
                  "The .env file to search for critical secrets (default LOCKSMITH_DOTENV_FILE, "
                  "else ./.env, when present)");
  cmd->add_option("--secret", c.secrets,
                  "Also check this secret (age, environment, log scan); repeatable");
  cmd->add_option("--max-age", c.max_ages,
                  "NAME=DURATION: the rotation schedule of NAME (default jwt-secret=90d, "
                  "db-encryption-key=365d, ...); repeatable");
  cmd->add_option("--scan-log", c.scan_logs,
                  "A log file that must hold no current secret value; repeatable");
  cmd->add_flag("--json", c.json, "Print a JSON array of {item, status, detail}");
  table.emplace_back(cmd, Command::kCheck);
}

}  // namespace

ParsedFlags ParseFlags(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"locksmith: read, write and serve secrets (docs/cli.md)", "locksmith"};
  app.require_subcommand(1);
  app.footer(
      "Configuration comes from the environment (SECRETS_BACKEND, LOCKSMITH_STORE, ...).\n"
      "Exit codes: 0 ok, 2 usage, 3 not found, 4 denied, 5 unavailable, 1 other (reencrypt: rows\n"
      "left undecryptable, plaintext or NULL, or on a key being retired).");
  Flags flags;
  CommandTable table;
  AddSecretCommands(app, flags, table);
  AddAgentCommand(app, flags, table);
  AddKeyCommands(app, flags, table);
  AddReencryptCommand(app, flags, table);
  AddImportCommand(app, flags, table);
  AddRunCommand(app, flags, table);
  AddCheckCommand(app, flags, table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return {std::nullopt, app.exit(e, out, err)};  // --help
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      err << "locksmith: unexpected extra arguments (put reads the value from stdin)\n";
    } else {
      err << "locksmith: " << e.what() << "\n";
    }
    err << app.help();
    return {std::nullopt, kExitUsage};
  }
  for (const auto& [cmd, command] : table) {
    if (cmd->parsed()) {
      flags.command = command;
      return {std::move(flags), kExitOk};
    }
  }
  err << "locksmith: no command given\n" << app.help();
  return {std::nullopt, kExitUsage};
}

}  // namespace locksmith
