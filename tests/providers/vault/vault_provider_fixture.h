// The fixture of the VaultProvider tests: a Vault test server (tests/servers/vault_server.py)
// over real sockets, the guide's policies, and a provider whose HTTP calls can be hooked.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "locksmith/vault_provider.h"
#include "providers/vault/vault_provider_internal.h"
#include "providers/vault/vault_test_server.h"
#include "transport/curl_http_client.h"

namespace locksmith {

using namespace std::chrono_literals;

inline constexpr char kMount[] = "secret/agentauri-backend/production";
inline constexpr char kDataPrefix[] = "/v1/secret/data/agentauri-backend/production/";

inline const std::string kReaderPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
)";
inline const std::string kWriterPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
)";

// Forwards to a real client; `before` runs before each request (to inject a concurrent write).
class HookedHttpClient : public internal::HttpClient {
 public:
  explicit HookedHttpClient(internal::HttpClientPtr inner) : inner_(std::move(inner)) {}
  Result<internal::HttpResponse> Send(const internal::HttpRequest& request) override {
    if (before) {
      before(request);
    }
    return inner_->Send(request);
  }
  std::function<void(const internal::HttpRequest&)> before;

 private:
  internal::HttpClientPtr inner_;
};

class VaultProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "vault test server did not start"; }

  VaultOptions Options(const std::pair<std::string, std::string>& approle) {
    VaultOptions options;
    options.addr = server_.addr();
    options.mount_path = kMount;
    options.role_id = approle.first;
    options.secret_id = SecretValue(approle.second);
    options.background_renewal = false;
    options.timeout = 5s;
    return options;
  }

  std::unique_ptr<internal::VaultProvider> Make(VaultOptions options,
                                                HookedHttpClient** hook = nullptr) {
    auto inner = internal::CreateCurlHttpClient({});
    EXPECT_THAT(inner, ::locksmith::testing::IsOk());
    auto hooked = std::make_unique<HookedHttpClient>(std::move(inner).value());
    if (hook != nullptr) {
      *hook = hooked.get();
    }
    auto provider =
        internal::VaultProvider::Create(std::move(options), std::move(hooked), clock_, random_);
    EXPECT_THAT(provider, ::locksmith::testing::IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  void Write(const std::string& name, const std::string& value, const std::string& ns = "") {
    server_.Admin("POST", kDataPrefix + name, {{"data", {{"value", value}}}}, ns);
  }

  testing::VaultTestServer server_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
};

}  // namespace locksmith
