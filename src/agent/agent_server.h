// AgentServer: the local HTTP agent behind `locksmith agent` (internal: part of the CLI, not the
// library's API). Serves secrets from a SecretsManager over HTTP on loopback,
// in the request form of the AWS Secrets Manager Agent, so a service (or a shell script with
// curl) can read secrets without linking locksmith. Endpoints and differences from the AWS agent:
// docs/agent.md.
//
//   GET
//   /secretsmanager/get?secretId=NAME[&versionStage=AWSCURRENT][&versionId=ID][&refreshNow=true]
//   GET /secretsmanager/NAME[?versionStage=...]  (NAME percent-decoded, slashes kept)
//   GET /v1/NAME[?versionStage=...&versionId=...]
//   GET /ping       "healthy" (no token)
//   GET /metrics    Prometheus text (no token; carries names and counts, never values)
//
// Secret requests need the header X-Aws-Parameters-Secrets-Token equal to the configured token
// and are refused when they carry X-Forwarded-For (the agent is not meant to sit behind a proxy);
// every request needs a loopback Host header unless allow_non_loopback. Every resource a client
// can hold is bounded (AgentOptions, docs/agent.md "Limits").
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "locksmith/clock.h"
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
  // Worker threads for lookups that may wait on the back end (cache misses, refreshNow). Cache
  // hits, /ping and /metrics are answered on the I/O threads and never wait for a worker.
  int threads = 4;
  // Threads running the event loop (accepting, parsing, writing).
  int io_threads = 1;
  // Open connections at most; one more is answered 503 and closed at once.
  int max_connections = 256;
  // From the first byte of a request until its answer is written; a client that has not sent
  // the whole header by then (slow drip) is disconnected.
  std::chrono::milliseconds request_deadline = std::chrono::seconds(5);
  // Keep-alive: how long a connection may wait, idle, for its next request.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(2);
  // refreshNow=true reaches the back end at most once per secret per interval; inside it the
  // cache answers.
  std::chrono::milliseconds refresh_interval = std::chrono::seconds(1);
  // The clock of the refreshNow rate limit; null: SystemClock(). Must outlive the server.
  Clock* clock = nullptr;
};

// Start and Stop may be called from any one thread; requests are served on background threads.
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

}  // namespace locksmith
