// Runs tests/servers/vault_server.py (path from the VAULT_TEST_SERVER compile definition, else
// the source tree) as a child process, reads its port from stdout, and kills it at the end.
// Admin() talks to it with the root token for setup and test controls.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "transport/curl_http_client.h"

#ifndef VAULT_TEST_SERVER
// Next to this header: tests/providers/vault/ -> tests/servers/.
#define VAULT_TEST_SERVER_FROM_FILE 1
#endif

extern char** environ;

namespace locksmith::testing {

class VaultTestServer {
 public:
  VaultTestServer() {
    int fds[2];
    if (::pipe(fds) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
#ifdef VAULT_TEST_SERVER_FROM_FILE
    std::string here = __FILE__;
    std::string script = here.substr(0, here.rfind('/')) + "/../../servers/vault_server.py";
#else
    std::string script = VAULT_TEST_SERVER;
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

  ~VaultTestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  bool ok() const { return port_ > 0 && http_ != nullptr; }
  std::string addr() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A request as root (method, path under the server, JSON body); returns the parsed answer or
  // null, and the status through `status`.
  nlohmann::json Admin(const std::string& method, const std::string& path,
                       const nlohmann::json& body = nullptr, const std::string& ns = "",
                       int* status = nullptr) {
    internal::HttpRequest request(method, addr() + path);
    request.headers.emplace_back("X-Vault-Token", "root");
    if (!ns.empty()) {
      request.headers.emplace_back("X-Vault-Namespace", ns);
    }
    if (!body.is_null()) {
      request.body = body.dump();
    }
    auto response = http_->Send(request);
    if (!response.ok()) {
      if (status != nullptr) {
        *status = -1;
      }
      return nullptr;
    }
    if (status != nullptr) {
      *status = response->status;
    }
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  void AdvanceClock(std::chrono::seconds s) {
    Admin("POST", "/_test/clock/advance", {{"seconds", s.count()}});
  }
  void SetFault(const nlohmann::json& fault) { Admin("POST", "/_test/fault", fault); }
  nlohmann::json Stats() { return Admin("GET", "/_test/stats"); }

  // Creates policy `policy` from HCL and an AppRole using it; returns {role_id, secret_id}.
  std::pair<std::string, std::string> MakeAppRole(const std::string& role,
                                                  const std::string& policy, const std::string& hcl,
                                                  const std::string& ns = "",
                                                  const std::string& ttl = "1h",
                                                  const std::string& max_ttl = "4h") {
    Admin("PUT", "/v1/sys/policies/acl/" + policy, {{"policy", hcl}}, ns);
    Admin("POST", "/v1/auth/approle/role/" + role,
          {{"token_policies", {policy}}, {"token_ttl", ttl}, {"token_max_ttl", max_ttl}}, ns);
    auto role_id = Admin("GET", "/v1/auth/approle/role/" + role + "/role-id", nullptr, ns);
    auto secret_id =
        Admin("POST", "/v1/auth/approle/role/" + role + "/secret-id", nlohmann::json::object(), ns);
    return {role_id["data"]["role_id"].get<std::string>(),
            secret_id["data"]["secret_id"].get<std::string>()};
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  internal::HttpClientPtr http_;
};

}  // namespace locksmith::testing
