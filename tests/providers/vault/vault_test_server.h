// Runs tests/servers/vault_server.py (found through SourcePath, tests/support/source_path.h)
// through ScriptServer (tests/support/script_server.h), which reads its port and
// stops it at the end. Admin() talks to it with the root token for setup and test controls.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "support/script_server.h"
#include "support/source_path.h"
#include "transport/curl_http_client.h"

namespace locksmith::testing {

class VaultTestServer {
 public:
  VaultTestServer() {
    auto client = internal::CreateCurlHttpClient({});
    if (client.ok()) {
      http_ = std::move(client).value();
    }
  }

  bool ok() const { return process_.started() && http_ != nullptr; }
  std::string addr() const { return process_.url(); }

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
  static std::string Script() { return SourcePath("tests/servers/vault_server.py"); }

  ScriptServer process_{Script()};
  internal::HttpClientPtr http_;
};

}  // namespace locksmith::testing
