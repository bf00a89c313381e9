// Runs tests/servers/aws_server.py (found through SourcePath, tests/support/source_path.h) through
// ScriptServer (tests/support/script_server.h), which reads its port and stops it at the end.
// Control() drives its test endpoints (clock, faults, credentials, stats).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "support/script_server.h"
#include "support/source_path.h"
#include "transport/curl_http_client.h"

namespace locksmith::testing {

inline constexpr char kAwsTestAccessKey[] = "AKIDLOCKSMITHTEST";
inline constexpr char kAwsTestSecretKey[] = "locksmith-test-secret-access-key";

class AwsTestServer {
 public:
  AwsTestServer() {
    auto client = internal::CreateCurlHttpClient({});
    if (client.ok()) {
      http_ = std::move(client).value();
    }
  }

  bool ok() const { return process_.started() && http_ != nullptr; }
  std::string url() const { return process_.url(); }

  nlohmann::json Control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json::object()) {
    internal::HttpRequest request(method, url() + path);
    if (method == "POST") {
      request.body = body.dump();
    }
    auto response = http_->Send(request);
    if (!response.ok()) {
      return nullptr;
    }
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  void SetClock(std::chrono::system_clock::time_point wall) {
    Control("POST", "/_test/clock",
            {{"set",
              std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count()}});
  }
  void AdvanceClock(std::chrono::seconds s) {
    Control("POST", "/_test/clock", {{"advance", s.count()}});
  }
  void Fault(const nlohmann::json& fault) { Control("POST", "/_test/fault", fault); }
  nlohmann::json Stats() { return Control("GET", "/_test/stats"); }
  int OpCount(const std::string& op) {
    auto stats = Stats();
    return stats["ops"].value(op, 0);
  }

 private:
  static std::string Script() { return SourcePath("tests/servers/aws_server.py"); }

  ScriptServer process_{Script()};
  internal::HttpClientPtr http_;
};

}  // namespace locksmith::testing
