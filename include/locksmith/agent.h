// AgentServer: the local HTTP agent. Serves secrets from a SecretsManager over HTTP on loopback,
// in the request form of the AWS Secrets Manager Agent, so a service (or a shell script with
// curl) can read secrets without linking locksmith. Endpoints and differences from the AWS agent:
// docs/agent.md.
//
//   GET /secretsmanager/get?secretId=NAME[&versionStage=AWSCURRENT][&versionId=ID]
//   GET /v1/NAME[?versionStage=...&versionId=...]
//   GET /ping       "healthy" (no token)
//   GET /metrics    Prometheus text (no token; carries names and counts, never values)
//
// Secret requests need the header X-Aws-Parameters-Secrets-Token equal to the configured token
// and are refused when they carry X-Forwarded-For (the agent is not meant to sit behind a proxy).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

inline constexpr std::string_view kAgentTokenHeader = "X-Aws-Parameters-Secrets-Token";
inline constexpr int kDefaultAgentPort = 2773;

struct AgentOptions {
  std::string host = "127.0.0.1";
  int port = kDefaultAgentPort;  // 0: an ephemeral port, see AgentServer::Port()
  SecretValue token;             // required, non-empty
  // Binding anything but a loopback address is refused unless this is set.
  bool allow_non_loopback = false;
  // Worker threads answering requests.
  int threads = 4;
};

// Start and Stop may be called from any one thread; requests are served on worker threads.
class AgentServer {
 public:
  virtual ~AgentServer() = default;

  // Binds the address and starts serving on background threads; returns once requests can be
  // made. Errors: kUnavailable if the address cannot be bound, kFailedPrecondition if started.
  virtual Result<void> Start() = 0;
  // The bound port (after Start), also when AgentOptions::port was 0.
  virtual int Port() const = 0;
  // Stops accepting, finishes in-flight requests and joins the threads. Idempotent; the
  // destructor calls it.
  virtual void Stop() = 0;

  // Errors: kInvalidArgument for an empty token, a bad port or host; kPermissionDenied for a
  // non-loopback host without allow_non_loopback. `manager` and `metrics` (may be null) must
  // outlive the server.
  static Result<std::unique_ptr<AgentServer>> Create(AgentOptions options, SecretsManager& manager,
                                                     Metrics* metrics);
};
using AgentServerPtr = std::unique_ptr<AgentServer>;

// The token from LOCKSMITH_AGENT_TOKEN's syntax: the token itself, or "file:///path" to read it
// from a file (one trailing newline is dropped). Errors: kInvalidArgument for an empty token,
// kNotFound / kPermissionDenied for an unreadable file. Messages never contain the token.
Result<SecretValue> ResolveAgentToken(const SecretValue& spec);

// A fresh random token (32 bytes, hex).
Result<SecretValue> GenerateAgentToken(Random& random);

// Writes `token` to `path` with mode 0600 (replacing an existing file; parent directories are
// created with 0700).
Result<void> WriteAgentTokenFile(const std::filesystem::path& path, const SecretValue& token);

}  // namespace locksmith
