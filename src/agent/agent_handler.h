// AgentHandler: what the agent answers, apart from the HTTP plumbing (agent_server.cc). Route
// decides everything that needs only the request (Host check, proxy refusal, token, paths and
// parameters); a secret lookup is then answered from the cache without blocking (TryCached, on
// an I/O thread) or from the back end (Fetch, on a worker thread: it may block for seconds).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "agent/agent_server.h"
#include "agent/refresh_limiter.h"
#include "locksmith/clock.h"
#include "locksmith/metrics.h"
#include "locksmith/provider.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

inline constexpr std::string_view kJsonContentType = "application/json";

// What the handler needs from a parsed request (views into the server's buffers).
struct AgentRequest {
  std::string_view target;  // origin form: /path[?query]
  std::string_view host;    // the Host header; empty when absent
  int host_count = 0;
  bool http11 = true;
  bool forwarded = false;  // an X-Forwarded-For header is present
  int token_count = 0;
  std::string_view token;
};

struct AgentReply {
  int status = 200;
  std::string_view content_type = kJsonContentType;
  std::string body;         // a body without secret material (errors, /ping, /metrics)
  SecretValue secret_body;  // a body holding a secret: wiped when the reply is destroyed
  bool close = false;       // close the connection after answering
  bool allow_get_head = false;

  std::string_view Body() const {
    return secret_body.empty() ? std::string_view(body) : secret_body.RevealUnsafe();
  }
};

// A JSON error reply {"__type": type, "message": message}.
AgentReply ErrorReply(int status, std::string_view type, std::string_view message);

struct SecretLookup {
  std::string id;
  VersionSelector selector;
  std::optional<Stage> stage;  // given with a versionId: the version must carry it
  bool refresh = false;        // refreshNow, granted by the rate limit: past the cache
};

// Thread-safe: Route and TryCached run on I/O threads, Fetch on worker threads.
class AgentHandler {
 public:
  AgentHandler(const AgentOptions& options, SecretsManager& manager, Metrics* metrics, Clock& clock)
      : options_(options),
        manager_(manager),
        metrics_(metrics),
        limiter_(clock, options.refresh_interval),
        arn_prefix_("locksmith:" + std::string(manager.Backend()) + ":") {}

  std::variant<AgentReply, SecretLookup> Route(const AgentRequest& request);
  // The answer when the cache holds it; never calls the back end. nullopt for a refresh.
  std::optional<AgentReply> TryCached(const SecretLookup& lookup);
  // The answer, from the back end if need be (blocks while it answers).
  AgentReply Fetch(const SecretLookup& lookup);

 private:
  std::variant<AgentReply, SecretLookup> RouteSecret(const AgentRequest& request,
                                                     std::string_view id_text, bool id_in_path,
                                                     std::string_view query);
  AgentReply Answer(const SecretLookup& lookup, Result<Secret> secret) const;

  const AgentOptions& options_;
  SecretsManager& manager_;
  Metrics* metrics_;
  RefreshLimiter limiter_;
  const std::string arn_prefix_;
};

}  // namespace locksmith::internal
