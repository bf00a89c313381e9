#include "cli/run_command.h"

#include <openssl/crypto.h>

#include <istream>
#include <ostream>
#include <utility>

namespace locksmith {
namespace {

Result<void> RunPut(Flags& flags, SecretsManager& manager, CommandIo io) {
  Result<SecretValue> value = MakeError(ErrorCode::kInternal, "no value");
  if (flags.put_value) {
    io.err << "locksmith: warning: --value exposes the value in the process list; prefer stdin\n";
    value = SecretValue(*flags.put_value);
    OPENSSL_cleanse(flags.put_value->data(), flags.put_value->size());
  } else {
    value = ReadSecretFromFd(io.in_fd);
  }
  if (!value.ok()) {
    return std::move(value).error();
  }
  return PutCommand(manager, flags.name, *value, io.out);
}

}  // namespace

// `jwt verify [TOKEN|-]`: the token from stdin unless given as an argument, which is kept for
// compatibility but warned about (a process's arguments are readable by other local users).
Result<void> RunJwtVerify(Flags& flags, SecretsManager& manager, CommandIo io) {
  SecretValue token;
  if (flags.jwt_token.empty() || flags.jwt_token == "-") {
    LOCKSMITH_ASSIGN_OR_RETURN(token, ReadSecretFromFd(io.in_fd));
  } else {
    io.err << "locksmith: warning: a token given as an argument is visible to other local users "
              "(ps, /proc/PID/cmdline); pass it on stdin instead: locksmith jwt verify - < FILE\n";
    token = SecretValue(flags.jwt_token);
    OPENSSL_cleanse(flags.jwt_token.data(), flags.jwt_token.size());
  }
  return JwtVerifyCommand(manager, SystemClock(), flags.jwt_verify_key, token.RevealUnsafe(),
                          io.out);
}

Result<void> RunCommand(Flags& flags, CliRuntime& runtime, const EnvLookup& env, CommandIo io,
                        const std::function<void(const AgentServer&)>& wait_for_shutdown) {
  SecretsManager& manager = *runtime.manager;
  switch (flags.command) {
    case Command::kGet:
      return GetCommand(manager, flags.get, io.out);
    case Command::kPut:
      return RunPut(flags, manager, io);
    case Command::kRotate:
      if (flags.rotate_credential.Requested()) {
        return CredentialRotateCommand(manager, flags.name, flags.rotate_credential, env,
                                       SystemRandom(), SystemClock(), io.out, io.err);
      }
      return RotateCommand(manager, flags.name, flags.rotate_bytes, io.out);
    case Command::kList:
      return ListCommand(manager, flags.list_prefix, io.out);
    case Command::kDescribe:
      return DescribeCommand(manager, flags.name, flags.json, io.out);
    case Command::kStatus:
      return StatusCommand(manager, flags.json, io.out);
    case Command::kJwtSign:
      return JwtSignCommand(manager, SystemClock(), flags.jwt_sign, io.out);
    case Command::kJwtVerify:
      return RunJwtVerify(flags, manager, io);
    case Command::kEncrypt:
      return EncryptCommand(manager, SystemRandom(), &manager.metrics(), flags.crypt_key,
                            flags.crypt_aad, io.in, io.out);
    case Command::kDecrypt:
      return DecryptCommand(manager, SystemRandom(), &manager.metrics(), flags.crypt_key,
                            flags.crypt_aad, io.in, io.out);
    case Command::kReencrypt: {
      LOCKSMITH_ASSIGN_OR_RETURN(SecretValue dsn, ResolveReencryptDsn(flags.reencrypt, env));
      return ReencryptCommand(manager, SystemRandom(), &manager.metrics(), SystemClock(), dsn,
                              flags.reencrypt, {io.out, io.err, io.err_is_terminal});
    }
    case Command::kImport:
      return ImportCommand(manager, flags.import_options, io.out);
    case Command::kCheck:
      return CheckCommand({manager, runtime.config, env, SystemClock()}, flags.check, io.out);
    case Command::kAgent: {
      AgentCommandOptions options = AgentCommandOptionsFromEnv(runtime.config, env);
      if (!flags.listen.empty()) {
        options.listen = flags.listen;
      }
      options.allow_non_loopback = flags.allow_non_loopback;
      options.new_token = flags.new_token;
      options.templates = flags.agent_templates;
      return AgentCommand(manager, &manager.metrics(), SystemRandom(), options, io.err,
                          wait_for_shutdown);
    }
    case Command::kRun:
      // Returns an exit code of its own (the child's): apps/locksmith calls RunChildCommand.
      return MakeError(ErrorCode::kInternal, "run is dispatched by main");
  }
  return MakeError(ErrorCode::kInternal, "unknown command");
}

}  // namespace locksmith
