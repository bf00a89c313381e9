// The agent's HTTP server on cpp-httplib. Secret-bearing response bodies are streamed from a
// SecretValue through a content provider and wiped once sent, instead of being copied into
// httplib's std::string body.
#include "agent/agent_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "agent/http.h"
#include "agent/secret_json.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith {
namespace {

using nlohmann::json;

constexpr char kJsonType[] = "application/json";

struct HttpError {
  int status;
  std::string_view type;
};

// The status and AWS-like error type for a SecretsManager error.
HttpError ToHttpError(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {404, "ResourceNotFoundException"};
    case ErrorCode::kInvalidArgument:
      return {400, "InvalidParameterException"};
    case ErrorCode::kPermissionDenied:
      return {403, "AccessDeniedException"};
    case ErrorCode::kUnauthenticated:
      return {403, "UnrecognizedClientException"};
    case ErrorCode::kThrottled:
      return {503, "ThrottlingException"};
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kFailedPrecondition:
      return {503, "ServiceUnavailableException"};
    case ErrorCode::kDataLoss:
      return {500, "DecryptionFailure"};
    default:
      return {500, "InternalServiceError"};
  }
}

void SendError(httplib::Response& res, int status, std::string_view type,
               std::string_view message) {
  json body = {{"__type", std::string(type)}, {"message", std::string(message)}};
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJsonType);
}

class HttplibAgentServer : public AgentServer {
 public:
  HttplibAgentServer(AgentOptions options, SecretsManager& manager, Metrics* metrics)
      : options_(std::move(options)), manager_(manager), metrics_(metrics) {}

  ~HttplibAgentServer() override { Stop(); }

  Result<void> Start() override {
    if (started_) {
      return MakeError(ErrorCode::kFailedPrecondition, "agent already started");
    }
    server_ = std::make_unique<httplib::Server>();
    Configure(*server_);
    int port = options_.port;
    if (port == 0) {
      port = server_->bind_to_any_port(options_.host);
      if (port <= 0) {
        return MakeError(ErrorCode::kUnavailable,
                         "cannot bind " + options_.host + " on an ephemeral port");
      }
    } else if (!server_->bind_to_port(options_.host, port)) {
      return MakeError(ErrorCode::kUnavailable, "cannot bind " + options_.host + ":" +
                                                    std::to_string(port) +
                                                    " (in use, or not an address of this host)");
    }
    port_ = port;
    started_ = true;
    listen_returned_ = false;
    thread_ = std::thread([this] {
      server_->listen_after_bind();
      listen_returned_ = true;
    });
    // httplib's stop() is a no-op until its accept loop runs; wait for it (microseconds) so a
    // Stop() right after Start() cannot be lost.
    while (!server_->is_running() && !listen_returned_) {
      std::this_thread::yield();
    }
    Logger()->info("agent listening on {}:{}", options_.host, port_);
    return OkResult();
  }

  int Port() const override { return port_; }

  void Stop() override {
    if (!started_) {
      return;
    }
    server_->stop();
    if (thread_.joinable()) {
      thread_.join();
    }
    started_ = false;
    Logger()->info("agent stopped");
  }

 private:
  void Configure(httplib::Server& server) {
    const int threads = options_.threads;
    server.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    server.set_read_timeout(5, 0);
    server.set_write_timeout(5, 0);
    server.set_keep_alive_timeout(2);
    server.set_payload_max_length(64 * 1024);
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
    // process bind the agent's port and receive its requests (and tokens).
    server.set_socket_options([](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });

    // No Range support: Debian's cpp-httplib 0.11 does not clamp a range over a streamed body,
    // and a request for bytes=0-4095 of a short secret returned heap memory past it. A request
    // with a Range header gets 416 before any handler runs, for every path (the replacement
    // server of issue 9 keeps this rule).
    //
    // GET and HEAD only, and no request body: httplib reads a body (chunked without any limit)
    // after this handler, so refusing here means it is never read; the connection is closed
    // rather than parsed further.
    server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "GET" && req.method != "HEAD") {
        SendError(res, 405, "InvalidRequestException", "only GET and HEAD are allowed");
        res.set_header("Allow", "GET, HEAD");
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.has_header("Transfer-Encoding") ||
          (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0")) {
        SendError(res, 400, "InvalidRequestException", "requests must not have a body");
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.has_header("Range")) {
        SendError(res, 416, "InvalidRequestException", "range requests are not supported");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("healthy", "text/plain");
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      if (metrics_ == nullptr) {
        SendError(res, 404, "ResourceNotFoundException", "metrics are not enabled");
        return;
      }
      res.set_content(metrics_->RenderText(), "text/plain; version=0.0.4");
    });
    server.Get("/secretsmanager/get", [this](const httplib::Request& req, httplib::Response& res) {
      HandleGet(req, res, req.get_param_value("secretId"));
    });
    server.Get(R"(/v1/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      HandleGet(req, res, req.matches[1].str());
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.status == 404 && res.body.empty()) {
        SendError(res, 404, "UnknownOperationException", "unknown path");
      }
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          SendError(res, 500, "InternalServiceError", "internal error");
        });
  }

  // Checks the proxy and token headers; on failure fills `res` and returns false.
  bool Authorize(const httplib::Request& req, httplib::Response& res) const {
    if (req.has_header("X-Forwarded-For")) {
      SendError(res, 400, "InvalidRequestException",
                "forwarded requests (X-Forwarded-For) are not accepted");
      return false;
    }
    const std::string header(kAgentTokenHeader);
    if (!req.has_header(header.c_str()) ||
        !options_.token.Equals(req.get_header_value(header.c_str()))) {
      SendError(res, 403, "AccessDeniedException", "missing or invalid " + header + " header");
      return false;
    }
    return true;
  }

  void HandleGet(const httplib::Request& req, httplib::Response& res,
                 const std::string& secret_id) {
    if (!Authorize(req, res)) {
      Logger()->debug("agent: refused request for '{}' ({})", secret_id, res.status);
      return;
    }
    if (secret_id.empty()) {
      SendError(res, 400, "InvalidParameterException", "secretId is required");
      return;
    }
    std::optional<Stage> stage;
    if (req.has_param("versionStage")) {
      stage = ParseStage(req.get_param_value("versionStage"));
      if (!stage) {
        SendError(res, 400, "InvalidParameterException",
                  "versionStage must be AWSCURRENT, AWSPREVIOUS or AWSPENDING");
        return;
      }
    }
    std::string version_id = req.get_param_value("versionId");
    VersionSelector selector = !version_id.empty() ? VersionSelector::ById(version_id)
                               : stage             ? VersionSelector::AtStage(*stage)
                                                   : VersionSelector::Current();

    auto secret = manager_.GetVersion(secret_id, selector);
    if (!secret.ok()) {
      const Error& error = secret.error();
      HttpError http = ToHttpError(error.code);
      std::string message = error.code == ErrorCode::kNotFound
                                ? "Secrets Manager can't find the specified secret: " + secret_id
                                : error.message;
      Logger()->debug("agent: request for '{}' failed: {}", secret_id, ErrorCodeName(error.code));
      SendError(res, http.status, http.type, message);
      return;
    }
    if (!version_id.empty() && stage && !secret->version.HasStage(*stage)) {
      SendError(res, 404, "ResourceNotFoundException",
                "version " + version_id + " of " + secret_id + " does not have stage " +
                    std::string(internal::AwsStageLabel(*stage)));
      return;
    }
    // The reference may carry a #field; the Name is the one asked for, as AWS echoes it.
    secret->name = secret_id;
    std::string arn = "locksmith:" + std::string(manager_.Backend()) + ":" + secret_id;
    auto body = std::make_shared<SecretValue>(internal::SecretToJson(*secret, arn));
    res.status = 200;
    res.set_content_provider(
        body->size(), kJsonType,
        [body](size_t offset, size_t length, httplib::DataSink& sink) {
          std::string_view bytes = body->RevealUnsafe();
          return sink.write(bytes.data() + offset, length);
        },
        [body](bool) mutable { *body = SecretValue(); });
  }

  AgentOptions options_;
  SecretsManager& manager_;
  Metrics* metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  bool started_ = false;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<AgentServer>> AgentServer::Create(AgentOptions options,
                                                         SecretsManager& manager,
                                                         Metrics* metrics) {
  if (options.token.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the agent needs a non-empty token");
  }
  if (options.port < 0 || options.port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "port must be 0 to 65535, got " + std::to_string(options.port));
  }
  if (options.host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "listen host is empty");
  }
  if (options.threads < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "the agent needs at least one thread");
  }
  if (!internal::IsLoopbackHost(options.host) && !options.allow_non_loopback) {
    return MakeError(ErrorCode::kPermissionDenied, "refusing to listen on non-loopback address " +
                                                       options.host +
                                                       " (pass --allow-non-loopback to do so)");
  }
  if (options.host.size() > 2 && options.host.front() == '[') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  return std::unique_ptr<AgentServer>(
      std::make_unique<HttplibAgentServer>(std::move(options), manager, metrics));
}

}  // namespace locksmith
