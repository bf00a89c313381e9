// `locksmith agent`: seed, resolve the token, serve until told to stop.
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <ostream>

#include "cli/commands.h"
#include "cli/template_runner.h"
#include "locksmith/log.h"

namespace locksmith {
namespace {

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "'";
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "--listen must be ADDRESS:PORT (e.g. 127.0.0.1:2773), got '" + std::string(text) + "'");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed IPv6 address in --listen");
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "write IPv6 addresses in brackets in --listen, e.g. [::1]:2773");
  }
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--listen port must be 0 to 65535, got '" + std::string(port_text) + "'");
  }
  ListenAddress address;
  address.host = host.empty() ? "127.0.0.1" : std::string(host);
  address.port = port;
  return address;
}

AgentCommandOptions AgentCommandOptionsFromEnv(const Config& config, const EnvLookup& env) {
  AgentCommandOptions options;
  if (auto token = env("LOCKSMITH_AGENT_TOKEN"); token && !token->empty()) {
    options.token_spec = SecretValue(*token);
    OPENSSL_cleanse(token->data(), token->size());
  }
  if (auto listen = env("LOCKSMITH_AGENT_LISTEN"); listen && !listen->empty()) {
    options.listen = *listen;
  }
  if (auto app_env = env("APP_ENV")) {
    options.app_env = *app_env;
  }
  std::filesystem::path store = config.local.store_path;
  if (store.empty()) {
    store = DefaultLocalStorePath();
  }
  std::filesystem::path dir = store.parent_path();
  options.token_file = (dir.empty() ? std::filesystem::path(".") : dir) / "agent.token";
  return options;
}

Result<void> AgentCommand(SecretsManager& manager, Metrics* metrics, Random& random,
                          const AgentCommandOptions& options, std::ostream& err,
                          const std::function<void(const AgentServer&)>& wait_for_shutdown) {
  LOCKSMITH_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(options.listen));
  if (options.seed) {
    LOCKSMITH_RETURN_IF_ERROR(SeedDevelopmentSecrets(manager, options.app_env));
  }
  TemplateRunnerPtr templates;
  if (!options.templates.empty()) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::vector<TemplateSpec> specs,
                               ParseTemplateSpecs(options.templates));
    LOCKSMITH_ASSIGN_OR_RETURN(templates,
                               TemplateRunner::Create(std::move(specs), manager, metrics));
    LOCKSMITH_RETURN_IF_ERROR(templates->Start());
  }

  SecretValue token;
  std::string token_hint;  // how the user gets the token into a shell, without printing it
  if (options.token_spec) {
    LOCKSMITH_ASSIGN_OR_RETURN(token, ResolveAgentToken(*options.token_spec));
    std::string_view spec = options.token_spec->RevealUnsafe();
    token_hint = spec.starts_with("file://")
                     ? "$(cat " + ShellQuote(std::string(spec.substr(7))) + ")"
                     : "$LOCKSMITH_AGENT_TOKEN";
  } else {
    // The token file outlives the agent, so clients that read it once keep working after a
    // restart; --new-token replaces it (every client must read it again).
    bool created = true;
    if (options.new_token) {
      LOCKSMITH_ASSIGN_OR_RETURN(token, GenerateAgentToken(random));
      LOCKSMITH_RETURN_IF_ERROR(WriteAgentTokenFile(options.token_file, token));
    } else {
      LOCKSMITH_ASSIGN_OR_RETURN(AgentTokenFromFile kept,
                                 LoadOrCreateAgentTokenFile(options.token_file, random));
      token = std::move(kept.token);
      created = kept.created;
    }
    token_hint = "$(cat " + ShellQuote(options.token_file.string()) + ")";
    if (created) {
      Logger()->info("generated an agent token in {} (mode 0600)", options.token_file.string());
    } else {
      Logger()->info("using the agent token in {}", options.token_file.string());
    }
  }

  AgentOptions agent_options;
  agent_options.host = address.host;
  agent_options.port = address.port;
  agent_options.token = std::move(token);
  agent_options.allow_non_loopback = options.allow_non_loopback;
  LOCKSMITH_ASSIGN_OR_RETURN(AgentServerPtr server,
                             AgentServer::Create(std::move(agent_options), manager, metrics));
  LOCKSMITH_RETURN_IF_ERROR(server->Start());

  std::string base = "http://" + HostForUrl(address.host) + ":" + std::to_string(server->Port());
  err << "locksmith agent: listening on " << base << "\n"
      << "locksmith agent: query it with\n"
      << "  curl -H \"" << kAgentTokenHeader << ": " << token_hint << "\" '" << base
      << "/secretsmanager/get?secretId=database-password'\n";
  err.flush();

  wait_for_shutdown(*server);
  server->Stop();
  if (templates) {
    templates->Stop();
  }
  err << "locksmith agent: stopped\n";
  err.flush();
  return OkResult();
}

}  // namespace locksmith
