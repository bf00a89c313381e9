// The agent's HTTP server on Boost.Beast/Asio. One event loop (AgentOptions::io_threads threads)
// accepts, parses and writes; each connection is an AgentSession (agent_session.h) on its own
// strand with at most one request in flight. Beast parses only the request head, with a byte cap;
// a body is never read. Cache hits, /ping and /metrics are answered on the event loop; lookups
// that may wait on the back end run on a worker pool (AgentOptions::threads) and post the answer
// back. Each answer is serialized into one buffer and written with one send. This file holds the
// listener: binding, accepting, the connection cap, start and stop.
#include "agent/agent_server.h"

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/agent_session.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith {
namespace {

using internal::AgentSession;
using internal::AgentSessionPtr;
using internal::ErrorCodeBoost;
using internal::tcp;
namespace net = boost::asio;

constexpr std::string_view kBusyResponse =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 78\r\n"
    "Connection: close\r\n\r\n"
    R"({"__type":"ServiceUnavailableException","message":"too many open connections"})";
static_assert(kBusyResponse.size() - kBusyResponse.find("\r\n\r\n") - 4 == 78);

class BeastAgentServer : public AgentServer, public internal::AgentSessionHost {
 public:
  BeastAgentServer(AgentOptions options, SecretsManager& manager, Metrics* metrics)
      : options_(std::move(options)),
        handler_(options_, manager, metrics,
                 options_.clock != nullptr ? *options_.clock : SystemClock()) {}

  ~BeastAgentServer() override { Stop(); }

  Result<void> Start() override {
    if (started_) {
      return MakeError(ErrorCode::kFailedPrecondition, "agent already started");
    }
    ioc_ = std::make_unique<net::io_context>(options_.io_threads);
    acceptor_ = std::make_unique<tcp::acceptor>(*ioc_);
    retry_timer_ = std::make_unique<net::steady_timer>(*ioc_);
    if (auto bound = Bind(); !bound.ok()) {
      acceptor_.reset();
      retry_timer_.reset();
      ioc_.reset();
      return bound;
    }
    pool_ = std::make_unique<net::thread_pool>(static_cast<std::size_t>(options_.threads));
    work_.emplace(ioc_->get_executor());
    {
      std::lock_guard lock(mu_);
      stopping_ = false;
    }
    Accept();
    for (int i = 0; i < options_.io_threads; ++i) {
      io_threads_.emplace_back([this] { ioc_->run(); });
    }
    started_ = true;
    Logger()->info("agent listening on {}:{}", options_.host, port_);
    return OkResult();
  }

  int Port() const override { return port_; }

  void Stop() override {
    if (!started_) {
      return;
    }
    std::vector<std::weak_ptr<AgentSession>> open;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (const auto& [raw, weak] : sessions_) {
        open.push_back(weak);
      }
    }
    net::post(*ioc_, [this] {
      ErrorCodeBoost ignored;
      acceptor_->close(ignored);
      retry_timer_->cancel();
    });
    for (auto& weak : open) {
      if (AgentSessionPtr session = weak.lock()) {
        session->Shutdown();
      }
    }
    // Lookups in flight finish and post their answers; then the loop runs out of work.
    pool_->join();
    work_.reset();
    for (std::thread& thread : io_threads_) {
      thread.join();
    }
    io_threads_.clear();
    acceptor_.reset();
    retry_timer_.reset();
    ioc_.reset();  // destroys what is left (sessions whose answer can no longer be written)
    pool_.reset();
    started_ = false;
    Logger()->info("agent stopped");
  }

  internal::AgentHandler& handler() override { return handler_; }
  const AgentOptions& options() const override { return options_; }
  net::thread_pool& pool() override { return *pool_; }

  void Unregister(AgentSession* session) override {
    std::lock_guard lock(mu_);
    sessions_.erase(session);
  }

 private:
  Result<void> Bind() {
    ErrorCodeBoost ec;
    net::ip::address address = net::ip::make_address(options_.host, ec);
    if (ec) {
      tcp::resolver resolver(*ioc_);
      auto results = resolver.resolve(options_.host, "", ec);
      if (ec || results.empty()) {
        return MakeError(ErrorCode::kUnavailable, "cannot resolve " + options_.host);
      }
      address = results.begin()->endpoint().address();
    }
    const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(options_.port));
    // SO_REUSEADDR only: SO_REUSEPORT would let a second process bind the agent's port and
    // receive its requests (and tokens).
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_->bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_->listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot bind " + options_.host + ":" +
                                                    std::to_string(options_.port) +
                                                    " (in use, or not an address of this host)");
    }
    port_ = acceptor_->local_endpoint().port();
    return OkResult();
  }

  void Accept() {
    acceptor_->async_accept(net::make_strand(*ioc_), [this](ErrorCodeBoost ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_->is_open()) {
        return;
      }
      if (ec) {
        // Out of descriptors, say: wait a little instead of spinning on the error.
        Logger()->warn("agent: accept failed: {}", ec.message());
        retry_timer_->expires_after(std::chrono::milliseconds(50));
        retry_timer_->async_wait([this](ErrorCodeBoost timer_ec) {
          if (!timer_ec) {
            Accept();
          }
        });
        return;
      }
      Admit(std::move(socket));
      Accept();
    });
  }

  void Admit(tcp::socket socket) {
    ErrorCodeBoost ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    AgentSessionPtr session;
    {
      std::lock_guard lock(mu_);
      if (!stopping_ && sessions_.size() < static_cast<std::size_t>(options_.max_connections)) {
        session = std::make_shared<AgentSession>(std::move(socket), *this);
        sessions_.emplace(session.get(), session);
      }
    }
    if (session) {
      session->Run();
      return;
    }
    // Refused: one short answer into the fresh socket's empty send buffer, then closed.
    (void)::send(socket.native_handle(), kBusyResponse.data(), kBusyResponse.size(),
                 MSG_DONTWAIT | MSG_NOSIGNAL);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  AgentOptions options_;
  internal::AgentHandler handler_;
  std::unique_ptr<net::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> retry_timer_;
  std::unique_ptr<net::thread_pool> pool_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::mutex mu_;
  bool stopping_ = false;                                                    // guarded by mu_
  std::unordered_map<AgentSession*, std::weak_ptr<AgentSession>> sessions_;  // guarded by mu_
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
  if (options.threads < 1 || options.io_threads < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "the agent needs at least one thread");
  }
  if (options.max_connections < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "max_connections must be at least 1");
  }
  if (options.request_deadline <= std::chrono::milliseconds(0) ||
      options.idle_timeout <= std::chrono::milliseconds(0) ||
      options.refresh_interval < std::chrono::milliseconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "agent timeouts must be positive");
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
      std::make_unique<BeastAgentServer>(std::move(options), manager, metrics));
}

}  // namespace locksmith
