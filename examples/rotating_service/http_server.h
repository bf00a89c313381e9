// HttpServer: a small HTTP/1.1 server (Boost.Beast) for the example, on a loopback address only.
// Bounded: request head 8 KiB, body 16 KiB, 10 s to wait for a request (keep-alive idle time
// included), 10 s to read it, 10 s to write its answer, 128 connections at once. Handlers run on
// the server's threads and may block (on the database or Redis); the thread count bounds how many
// run at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app.h"
#include "locksmith/result.h"

namespace rotating_service {

using Handler = std::function<Response(const Request&)>;

class HttpServer {
 public:
  // Binds `address`:`port` (port 0: any free one); refuses a non-loopback address.
  static locksmith::Result<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                              std::uint16_t port, Handler handler,
                                                              int threads);
  ~HttpServer();  // stops and joins the threads

  std::uint16_t port() const;
  // Blocks until SIGINT or SIGTERM.
  void WaitForSignal();

 private:
  struct State;
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rotating_service
