// The `locksmith` program's command line: every subcommand and flag in one table (CLI11), parsed
// into a plain Flags value that RunCommand (run_command.h) executes. docs/cli.md documents them.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/commands.h"
#include "cli/credential_rotate_command.h"
#include "cli/import_command.h"
#include "cli/key_commands.h"
#include "cli/reencrypt_command.h"
#include "cli/run_child_command.h"

namespace locksmith {

enum class Command {
  kGet,
  kPut,
  kRotate,
  kList,
  kDescribe,
  kStatus,
  kAgent,
  kJwtSign,
  kJwtVerify,
  kEncrypt,
  kDecrypt,
  kReencrypt,
  kImport,
  kRun,
  kCheck,
};

struct Flags {
  Command command = Command::kStatus;
  GetOptions get;
  std::string name;                      // put, rotate, describe
  std::optional<std::string> put_value;  // put --value (discouraged)
  std::size_t rotate_bytes = kDefaultRotateBytes;
  CredentialRotateOptions rotate_credential;  // rotate --postgres/--redis: with the server
  std::string list_prefix;
  bool json = false;   // describe, status
  std::string listen;  // agent --listen; empty: LOCKSMITH_AGENT_LISTEN or the default
  bool allow_non_loopback = false;
  bool new_token = false;  // agent --new-token
  // agent --template SRC:DEST[:MODE[:COMMAND]]
  std::vector<std::string> agent_templates;
  JwtSignCommandOptions jwt_sign;
  std::string jwt_verify_key = "jwt-secret";
  std::string jwt_token;  // jwt verify TOKEN; empty or "-": stdin
  std::string crypt_key = "db-encryption-key";
  std::string crypt_aad;
  ReencryptCommandOptions reencrypt;
  ImportCommandOptions import_options;
  RunChildOptions run_child;  // run
  CheckOptions check;
};

// Either flags to run, or an exit code when parsing already decided (--help: 0, printed on
// `out`; a usage error: kExitUsage, the message and the help on `err`). Extra arguments are never
// echoed: `locksmith put NAME VALUE` must not print the value.
struct ParsedFlags {
  std::optional<Flags> flags;
  int exit_code = kExitOk;
};
ParsedFlags ParseFlags(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace locksmith
