// Runs tests/servers/aws_server.py (path from the AWS_TEST_SERVER compile definition, else the
// source tree) as a child process, reads its port from stdout, and kills it at the end.
// Control() drives its test endpoints (clock, faults, credentials, stats).
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "transport/curl_http_client.h"

extern char** environ;

namespace locksmith::testing {

inline constexpr char kAwsTestAccessKey[] = "AKIDLOCKSMITHTEST";
inline constexpr char kAwsTestSecretKey[] = "locksmith-test-secret-access-key";

class AwsTestServer {
 public:
  AwsTestServer() {
    int fds[2];
    if (::pipe(fds) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
#ifdef AWS_TEST_SERVER
    std::string script = AWS_TEST_SERVER;
#else
    std::string here = __FILE__;
    std::string script = here.substr(0, here.rfind('/')) + "/../../servers/aws_server.py";
#endif
    char* argv[] = {const_cast<char*>("/usr/bin/python3"), script.data(), nullptr};
    if (posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv, environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    FILE* out = ::fdopen(fds[0], "r");
    int port = 0;
    if (out != nullptr && std::fscanf(out, "%d", &port) == 1) {
      port_ = port;
    }
    if (out != nullptr) {
      std::fclose(out);
    }
    auto client = internal::CreateCurlHttpClient({});
    if (client.ok()) {
      http_ = std::move(client).value();
    }
  }

  ~AwsTestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  bool ok() const { return port_ > 0 && http_ != nullptr; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

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
  pid_t pid_ = -1;
  int port_ = 0;
  internal::HttpClientPtr http_;
};

}  // namespace locksmith::testing
