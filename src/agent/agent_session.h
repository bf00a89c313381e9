// AgentSession: one connection of the agent's HTTP server, a state machine over a Beast stream
// (wait for a request under the idle timeout, read its head under the request deadline, answer
// on the event loop or through the worker pool, write once, linger before a close). Internal to
// src/agent: it includes Beast, so only agent_server.cc and agent_session.cc include it.
// A session runs on its own strand; the server owns the event loop, the pool and the bookkeeping
// of open sessions (AgentSessionHost).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/agent_handler.h"
#include "agent/agent_server.h"

namespace locksmith::internal {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;
using ErrorCodeBoost = boost::system::error_code;

// Bounds on what one client can make the agent hold (docs/agent.md "Limits").
inline constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxHeaderFields = 64;
inline constexpr std::size_t kReadBufferBytes = 16 * 1024;
// The answer's write gets what is left of the request deadline, and at least this (a back end
// that took the whole deadline still gets its answer out to a client that reads).
inline constexpr auto kMinWriteTime = std::chrono::seconds(1);
// Lingering close: after an answer that closes the connection the agent stops sending and reads
// (and discards) what the client is still sending, at most this long and this much, so the
// answer is not destroyed by a reset; then it closes.
inline constexpr auto kLingerTime = std::chrono::seconds(1);
inline constexpr std::size_t kMaxLingerBytes = 256 * 1024;
inline constexpr std::size_t kLingerChunk = 4096;

inline std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }

class AgentSession;

// What a session needs from the server that accepted it. Called on the session's strand (and
// Unregister from its destructor, on any thread): implementations are thread-safe.
class AgentSessionHost {
 public:
  virtual ~AgentSessionHost() = default;
  virtual AgentHandler& handler() = 0;
  virtual const AgentOptions& options() const = 0;
  virtual net::thread_pool& pool() = 0;  // lookups that may wait on the back end
  virtual void Unregister(AgentSession* session) = 0;
};

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  AgentSession(tcp::socket socket, AgentSessionHost& server)
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
  AgentSessionHost& server_;
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

}  // namespace locksmith::internal
