// AgentSession's state machine (agent_session.h).
#include "agent/agent_session.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <utility>

#include "agent/http_text.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith::internal {

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

}  // namespace locksmith::internal
