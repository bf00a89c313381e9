// The agent's HTTP server on Boost.Beast/Asio (the only file that includes them). One event loop
// (AgentOptions::io_threads threads) accepts, parses and writes; each connection runs on its own
// strand with at most one request in flight. Beast parses only the request head, with a byte cap;
// a body is never read. Cache hits, /ping and /metrics are answered on the event loop; lookups
// that may wait on the back end run on a worker pool (AgentOptions::threads) and post the answer
// back. Each answer is serialized into one buffer and written with one send.
#include "agent/agent_server.h"

#include <openssl/crypto.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/agent_handler.h"
#include "agent/http_text.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;
using ErrorCodeBoost = boost::system::error_code;
using internal::AgentReply;
using internal::AgentRequest;
using internal::SecretLookup;

// Bounds on what one client can make the agent hold (docs/agent.md "Limits").
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::size_t kMaxHeaderFields = 64;
constexpr std::size_t kReadBufferBytes = 16 * 1024;
// The answer's write gets what is left of the request deadline, and at least this (a back end
// that took the whole deadline still gets its answer out to a client that reads).
constexpr auto kMinWriteTime = std::chrono::seconds(1);
// Lingering close: after an answer that closes the connection the agent stops sending and reads
// (and discards) what the client is still sending, at most this long and this much, so the
// answer is not destroyed by a reset; then it closes.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
constexpr std::size_t kLingerChunk = 4096;

constexpr std::string_view kBusyResponse =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 78\r\n"
    "Connection: close\r\n\r\n"
    R"({"__type":"ServiceUnavailableException","message":"too many open connections"})";
static_assert(kBusyResponse.size() - kBusyResponse.find("\r\n\r\n") - 4 == 78);

std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }

class BeastAgentServer;

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(tcp::socket socket, BeastAgentServer& server)
      : stream_(std::move(socket)), server_(server) {}
  ~AgentSession();

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }
  // Server stop: no further requests; an idle or reading connection is closed now, a busy one
  // once its answer is written.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (self->state_ != State::kBusy && self->state_ != State::kWriting) {
        self->stream_.cancel();
      }
    });
  }

 private:
  enum class State { kIdle, kReading, kBusy, kWriting, kLingering };

  void WaitForRequest();
  void ReadHeader();
  void OnHeader(ErrorCodeBoost ec);
  void Handle();
  void Send(AgentReply reply);
  void OnWritten(ErrorCodeBoost ec);
  void Linger();
  void Close();
  void WipeToken();

  beast::tcp_stream stream_;
  BeastAgentServer& server_;
  beast::flat_buffer buffer_{kReadBufferBytes};
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::string out_;  // the serialized answer; wiped after every write
  State state_ = State::kIdle;
  bool stopping_ = false;
  bool head_ = false;
  bool keep_alive_ = false;
  std::size_t lingered_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};
using AgentSessionPtr = std::shared_ptr<AgentSession>;

class BeastAgentServer : public AgentServer {
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

  internal::AgentHandler& handler() { return handler_; }
  const AgentOptions& options() const { return options_; }
  net::thread_pool& pool() { return *pool_; }

  void Unregister(AgentSession* session) {
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

AgentSession::~AgentSession() {
  if (!out_.empty()) {
    OPENSSL_cleanse(out_.data(), out_.size());
  }
  server_.Unregister(this);
}

void AgentSession::WaitForRequest() {
  if (stopping_) {
    return Close();
  }
  if (buffer_.size() > 0) {
    return ReadHeader();  // the next request is already here (pipelined)
  }
  // Idle between requests: bounded by the keep-alive timeout, not the request deadline.
  state_ = State::kIdle;
  stream_.expires_after(server_.options().idle_timeout);
  stream_.async_read_some(buffer_.prepare(kReadBufferBytes / 4),
                          [self = shared_from_this()](ErrorCodeBoost ec, std::size_t n) {
                            if (ec || self->stopping_) {
                              return self->Close();
                            }
                            self->buffer_.commit(n);
                            self->ReadHeader();
                          });
}

void AgentSession::ReadHeader() {
  if (stopping_) {
    return Close();
  }
  // The request deadline runs from its first byte and is not extended by later reads: a client
  // dripping one byte at a time is cut off when it passes.
  state_ = State::kReading;
  deadline_ = std::chrono::steady_clock::now() + server_.options().request_deadline;
  stream_.expires_at(deadline_);
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  // No body_limit(0): Beast would then fail the head of a POST with a Content-Length as
  // malformed (400) before the method is known; the body is never read anyway (Handle).
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](ErrorCodeBoost ec, std::size_t) { self->OnHeader(ec); });
}

void AgentSession::OnHeader(ErrorCodeBoost ec) {
  if (ec == http::error::header_limit) {
    AgentReply reply =
        internal::ErrorReply(431, "InvalidRequestException", "request header larger than 8 KiB");
    reply.close = true;
    return Send(std::move(reply));
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == net::error::eof ||
      ec == net::error::connection_reset || stopping_) {
    return Close();
  }
  if (ec) {
    AgentReply reply = internal::ErrorReply(400, "InvalidRequestException", "malformed request");
    reply.close = true;
    return Send(std::move(reply));
  }
  Handle();
}

void AgentSession::Handle() {
  const auto& req = parser_->get();
  head_ = req.method() == http::verb::head;
  keep_alive_ = req.keep_alive();
  auto refuse = [this](int status, std::string_view message) {
    AgentReply reply = internal::ErrorReply(status, "InvalidRequestException", message);
    reply.close = true;
    reply.allow_get_head = status == 405;
    Send(std::move(reply));
  };
  if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > kMaxHeaderFields) {
    return refuse(431, "more than 64 header fields");
  }
  // Nothing past the head is ever read: another method, or a body, closes the connection.
  if (req.method() != http::verb::get && !head_) {
    return refuse(405, "only GET and HEAD are allowed");
  }
  const auto length = req.find(http::field::content_length);
  if (req.count(http::field::transfer_encoding) > 0 ||
      (length != req.end() && length->value() != "0")) {
    return refuse(400, "requests must not have a body");
  }
  // No Range support: the whole body, or 416 (cpp-httplib 0.11 returned memory past a short
  // body for a long range; there is no use for partial secrets).
  if (req.count(http::field::range) > 0) {
    return Send(
        internal::ErrorReply(416, "InvalidRequestException", "range requests are not supported"));
  }
  const beast::string_view token_name(kAgentTokenHeader.data(), kAgentTokenHeader.size());
  AgentRequest request;
  request.target = ToStd(req.target());
  request.host_count = static_cast<int>(req.count(http::field::host));
  request.host = ToStd(req[http::field::host]);
  request.http11 = req.version() >= 11;
  request.forwarded = req.count("X-Forwarded-For") > 0;
  request.token_count = static_cast<int>(req.count(token_name));
  request.token = ToStd(req[token_name]);

  internal::AgentHandler& handler = server_.handler();
  auto routed = handler.Route(request);
  if (AgentReply* reply = std::get_if<AgentReply>(&routed)) {
    return Send(std::move(*reply));
  }
  SecretLookup lookup = std::get<SecretLookup>(std::move(routed));
  if (std::optional<AgentReply> cached = handler.TryCached(lookup)) {
    return Send(std::move(*cached));
  }
  // May wait on the back end: a worker thread, never this one.
  state_ = State::kBusy;
  net::post(server_.pool(), [self = shared_from_this(), lookup = std::move(lookup)]() mutable {
    AgentReply reply = self->server_.handler().Fetch(lookup);
    net::post(self->stream_.get_executor(),
              [self, reply = std::move(reply)]() mutable { self->Send(std::move(reply)); });
  });
}

void AgentSession::Send(AgentReply reply) {
  WipeToken();
  if (reply.close || stopping_) {
    keep_alive_ = false;
  }
  const std::string_view body = reply.Body();
  internal::ResponseHead head;
  head.status = reply.status;
  head.content_type = reply.content_type;
  head.content_length = body.size();
  head.keep_alive = keep_alive_;
  head.allow_get_head = reply.allow_get_head;
  out_.clear();
  internal::AppendResponseHead(head, out_);
  if (!head_) {
    // Grow while out_ holds only the head: no copy of the body is left in a freed block.
    out_.reserve(out_.size() + body.size());
    out_.append(body);
  }
  reply = AgentReply();  // wipes the secret body now
  state_ = State::kWriting;
  stream_.expires_at(std::max(deadline_, std::chrono::steady_clock::now() + kMinWriteTime));
  // One buffer, one write: headers and body leave in one segment.
  net::async_write(
      stream_, net::buffer(out_),
      [self = shared_from_this()](ErrorCodeBoost ec, std::size_t) { self->OnWritten(ec); });
}

void AgentSession::OnWritten(ErrorCodeBoost ec) {
  OPENSSL_cleanse(out_.data(), out_.size());
  out_.clear();
  parser_.reset();
  if (ec) {
    return Close();
  }
  if (!keep_alive_ || stopping_) {
    return Linger();
  }
  WaitForRequest();
}

void AgentSession::Linger() {
  ErrorCodeBoost ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  state_ = State::kLingering;
  lingered_ = 0;
  buffer_.clear();
  stream_.expires_after(kLingerTime);
  struct Drain {
    AgentSessionPtr self;
    void operator()(ErrorCodeBoost ec, std::size_t n) {
      self->lingered_ += n;
      self->buffer_.clear();
      if (ec || self->lingered_ >= kMaxLingerBytes) {
        return self->Close();
      }
      self->stream_.async_read_some(self->buffer_.prepare(kLingerChunk), std::move(*this));
    }
  };
  stream_.async_read_some(buffer_.prepare(kLingerChunk), Drain{shared_from_this()});
}

void AgentSession::Close() {
  ErrorCodeBoost ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

// The token's copy in the parsed head (Beast keeps header values in its own allocations).
void AgentSession::WipeToken() {
  if (!parser_) {
    return;
  }
  auto& fields = parser_->get();
  const beast::string_view token_name(kAgentTokenHeader.data(), kAgentTokenHeader.size());
  for (const auto& field : fields) {
    if (beast::iequals(field.name_string(), token_name)) {
      beast::string_view value = field.value();
      OPENSSL_cleanse(const_cast<char*>(value.data()), value.size());
    }
  }
}

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
