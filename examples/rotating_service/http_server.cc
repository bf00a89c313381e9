#include "http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "log.h"

namespace rotating_service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using locksmith::ErrorCode;
using locksmith::MakeError;

constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 16 * 1024;
// Waiting for a request (idle keep-alive included), reading it and writing its answer: each
// bounded by this, so a slow or silent client is cut off.
constexpr auto kRequestDeadline = std::chrono::seconds(10);
// After an answer that closes the connection, the client's unread bytes (the rest of a refused
// body) are read and dropped for a while: closing with unread data would reset the connection
// and could destroy the answer before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr int kMaxConnections = 128;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Handler& handler, std::atomic<int>& connections)
      : stream_(std::move(socket)), handler_(handler), connections_(connections) {}
  ~Session() { connections_.fetch_sub(1); }

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kRequestDeadline);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Answer(413, R"({"error":{"code":"too_large","message":"request too large"}})", false);
    }
    if (ec) {
      return Answer(400, R"({"error":{"code":"bad_request","message":"malformed request"}})",
                    false);
    }
    const auto& req = parser_->get();
    Request request;
    request.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    request.path = std::string(target.substr(0, target.find('?')));
    if (auto it = req.find(http::field::authorization); it != req.end()) {
      request.authorization = std::string(it->value());
    }
    request.body = req.body();
    Response response = handler_(request);
    Answer(response.status, std::move(response.body), req.keep_alive());
  }

  void Answer(int status, std::string body, bool keep_alive) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "application/json");
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(kRequestDeadline);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            return self->Close();
          }
          self->Read();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    Drain();
  }

  // Reads and drops what the client still sends, until it closes, kLingerBytes or kLingerTime.
  void Drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kLingerBytes) {
                                self->Drain();
                              }
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kMaxHeaderBytes + kMaxBodyBytes};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> scratch_{};
  std::size_t drained_ = 0;
  const Handler& handler_;
  std::atomic<int>& connections_;
};

}  // namespace

struct HttpServer::State {
  // Sessions left in `io` are destroyed with it and use `handler` and `connections`: those are
  // declared first, so they go last.
  Handler handler;
  std::atomic<int> connections{0};
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;

  void Accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      if (!ec) {
        if (connections.fetch_add(1) >= kMaxConnections) {
          connections.fetch_sub(1);
          beast::error_code ignored;
          socket.close(ignored);  // over the limit: refused at once
        } else {
          std::make_shared<Session>(std::move(socket), handler, connections)->Read();
        }
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  state_->io.stop();
  for (std::thread& t : state_->threads) {
    t.join();
  }
}

locksmith::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                                 std::uint16_t port,
                                                                 Handler handler, int threads) {
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "listen address '" + address + "' is not an IP address");
  }
  if (!ip.is_loopback()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "listen address '" + address + "' is not a loopback address");
  }
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  const tcp::endpoint endpoint(ip, port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    state->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + address + ":" +
                                                  std::to_string(port) + ": " + ec.message());
  }
  state->Accept();
  State* raw = state.get();
  for (int i = 0; i < std::max(threads, 1); ++i) {
    state->threads.emplace_back([raw] { raw->io.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

std::uint16_t HttpServer::port() const { return state_->acceptor.local_endpoint().port(); }

void HttpServer::WaitForSignal() {
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int) {});
  signals_io.run();
}

}  // namespace rotating_service
