// Standby redirects (issue 10): a Vault standby answers 307 with the active node's address when it
// does not forward requests. The provider follows up to two redirects, method, body and token
// included, with the configured address's TLS rules applied to the target before the token goes
// there. Two test servers: the fixture's (active) and a standby pointing at it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "providers/vault/vault_provider_fixture.h"
#include "providers/vault/vault_redirect.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

class VaultStandbyRedirectTest : public VaultProviderTest {
 protected:
  void SetUp() override {
    VaultProviderTest::SetUp();
    ASSERT_TRUE(standby_.ok()) << "standby test server did not start";
  }

  void StandbyRedirects(const nlohmann::json& mode) {
    standby_.Admin("POST", "/_test/standby", mode);
  }

  // A provider whose address is the standby; every URL it sends to is recorded.
  Result<std::unique_ptr<internal::VaultProvider>> MakeAtStandby(VaultOptions options) {
    options.addr = standby_.addr();
    auto inner = internal::CreateCurlHttpClient({});
    EXPECT_THAT(inner, IsOk());
    auto hooked = std::make_unique<HookedHttpClient>(std::move(inner).value());
    hooked->before = [this](const internal::HttpRequest& request) {
      std::lock_guard lock(urls_mu_);
      urls_.push_back(request.url);
    };
    return internal::VaultProvider::Create(std::move(options), std::move(hooked), clock_, random_);
  }

  VaultOptions RootTokenOptions() {
    VaultOptions options;
    options.mount_path = kMount;
    options.token = SecretValue("root");
    options.background_renewal = false;
    options.timeout = 5s;
    return options;
  }

  std::vector<std::string> Urls() {
    std::lock_guard lock(urls_mu_);
    return urls_;
  }

  testing::VaultTestServer standby_;
  std::mutex urls_mu_;
  std::vector<std::string> urls_;
};

// Before: the 307 of the login was "vault: unexpected answer logging in with AppRole (HTTP 307)"
// and start-up failed.
TEST_F(VaultStandbyRedirectTest, LoginReadsWritesRenewalAndLookupFollowTheStandby) {
  Write("jwt-secret", "on-the-active-node");
  StandbyRedirects({{"redirect_to", server_.addr()}});
  auto approle = server_.MakeAppRole("app", "writer", kWriterPolicy, "", "1h", "4h");
  auto provider = MakeAtStandby(Options(approle));
  ASSERT_THAT(provider, IsOk());  // AppRole login: a POST whose body is re-sent
  auto read = (*provider)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->value.Equals("on-the-active-node"));
  ASSERT_THAT((*provider)->Put("jwt-secret", SecretValue("written-via-standby"), Stage::kCurrent),
              IsOk());
  auto written = server_.Admin("GET", kDataPrefix + std::string("jwt-secret"));
  EXPECT_EQ(written["data"]["data"]["value"], "written-via-standby");
  clock_.Advance(50min);
  server_.AdvanceClock(50min);
  (*provider)->RunDueForTest();
  EXPECT_EQ((*provider)->auth().renewals(), 1u);
  EXPECT_THAT((*provider)->LookupToken(), IsOk());
  EXPECT_GE(standby_.Stats()["redirects"].get<int>(), 5);
  EXPECT_EQ(standby_.Stats()["logins"].get<int>(), 0);  // the standby itself served nothing

  // Token auth: the start-up lookup-self goes through the redirect too.
  EXPECT_THAT(MakeAtStandby(RootTokenOptions()), IsOk());
}

TEST_F(VaultStandbyRedirectTest, AThirdRedirectIsAnError) {
  StandbyRedirects({{"redirect_to", standby_.addr()}});  // a standby pointing at itself
  auto provider = MakeAtStandby(RootTokenOptions());
  ASSERT_THAT(provider, HasErrorMessage(ErrorCode::kUnavailable, "more than 2 redirects"));
  EXPECT_THAT(provider.error().message, HasSubstr("VAULT_ADDR"));
  EXPECT_EQ(Urls().size(), 3u);  // the request and two redirects, no more
}

TEST_F(VaultStandbyRedirectTest, ARedirectWithoutLocationIsAnError) {
  StandbyRedirects({{"redirect_to", server_.addr()}, {"omit_location", true}});
  auto provider = MakeAtStandby(RootTokenOptions());
  ASSERT_THAT(provider, HasErrorMessage(ErrorCode::kUnavailable, "without a Location"));
  EXPECT_EQ(Urls().size(), 1u);
}

// The token must never reach a target the rules refuse: plain http to another host.
TEST_F(VaultStandbyRedirectTest, PlainHttpToAnotherHostIsRefusedBeforeTheTokenGoesThere) {
  testing::LogCapture logs;
  StandbyRedirects({{"redirect_to", "http://vault-active.example.com:8200"}});
  auto options = RootTokenOptions();
  options.token = SecretValue("tok-planted-4471");
  auto provider = MakeAtStandby(std::move(options));
  ASSERT_THAT(provider,
              HasErrorMessage(ErrorCode::kInvalidArgument, "http://vault-active.example.com"));
  EXPECT_THAT(provider.error().message, HasSubstr("LOCKSMITH_ALLOW_INSECURE_HTTP"));
  EXPECT_THAT(provider.error().message, HasSubstr("api_addr"));
  EXPECT_THAT(provider.error().message + logs.Text(), Not(HasSubstr("tok-planted")));
  for (const std::string& url : Urls()) {
    EXPECT_THAT(url, Not(HasSubstr("vault-active")));
  }
  EXPECT_EQ(Urls().size(), 1u);
}

// A leader change after start-up: the node answers 307 for a while; reads keep working.
TEST_F(VaultStandbyRedirectTest, ANodeThatBecomesStandbyAfterStartUp) {
  Write("db", "v1");
  auto approle = server_.MakeAppRole("app", "reader", kReaderPolicy);
  auto provider = Make(Options(approle));
  ASSERT_NE(provider, nullptr);
  server_.Admin("POST", "/_test/standby", {{"redirect_to", standby_.addr()}, {"count", 1}});
  standby_.Admin("POST", "/_test/standby", {{"redirect_to", server_.addr()}, {"count", 1}});
  // active -> standby -> active: two redirects, the limit.
  auto read = provider->Get("db", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->value.Equals("v1"));
}

TEST(VaultRedirectTargetTest, AppliesTheConfiguredAddressRules) {
  using internal::VaultRedirectTarget;
  const std::string from = "https://vault-2.example.com:8200/v1/secret/data/x?version=2";
  auto same = VaultRedirectTarget(from, "https://vault-1.example.com:8200/v1/secret/data/x", false);
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(*same, "https://vault-1.example.com:8200/v1/secret/data/x");
  auto relative = VaultRedirectTarget(from, "/v1/secret/data/y", false);
  ASSERT_THAT(relative, IsOk());
  EXPECT_EQ(*relative, "https://vault-2.example.com:8200/v1/secret/data/y");
  auto scheme_relative = VaultRedirectTarget(from, "//vault-3.example.com/v1/z", false);
  ASSERT_THAT(scheme_relative, IsOk());
  EXPECT_EQ(*scheme_relative, "https://vault-3.example.com/v1/z");

  // As Vault's client: never from https to http, not even to loopback or with the flag.
  EXPECT_THAT(VaultRedirectTarget(from, "http://127.0.0.1:8200/v1/x", true),
              HasErrorMessage(ErrorCode::kInvalidArgument, "downgrade"));
  // Plain http: loopback, or another host only with LOCKSMITH_ALLOW_INSECURE_HTTP.
  const std::string plain = "http://127.0.0.1:8200/v1/x";
  EXPECT_THAT(VaultRedirectTarget(plain, "http://[::1]:8201/v1/x", false), IsOk());
  EXPECT_THAT(VaultRedirectTarget(plain, "http://localhost:8201/v1/x", false), IsOk());
  EXPECT_THAT(VaultRedirectTarget(plain, "http://10.0.0.7:8200/v1/x", false),
              HasErrorMessage(ErrorCode::kInvalidArgument, "LOCKSMITH_ALLOW_INSECURE_HTTP"));
  EXPECT_THAT(VaultRedirectTarget(plain, "http://10.0.0.7:8200/v1/x", true), IsOk());
  EXPECT_THAT(VaultRedirectTarget(plain, "https://10.0.0.7:8200/v1/x", false), IsOk());

  EXPECT_THAT(VaultRedirectTarget(from, "ftp://vault-1.example.com/v1/x", false),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(VaultRedirectTarget(from, "https://user:pw-planted@vault-1.example.com/v1/x", false),
              HasError(ErrorCode::kInvalidArgument));
  auto with_credentials =
      VaultRedirectTarget(from, "https://user:pw-planted@vault-1.example.com/v1/x", false);
  EXPECT_THAT(with_credentials.error().message, Not(HasSubstr("pw-planted")));
  EXPECT_THAT(VaultRedirectTarget(from, std::nullopt, false), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(VaultRedirectTarget(from, "", false), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(VaultRedirectTarget(from, "https://a.example.com/\r\nX: y", false),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(VaultRedirectTarget(from, "v1/relative", false), HasError(ErrorCode::kUnavailable));

  EXPECT_TRUE(internal::IsVaultRedirect(307));
  EXPECT_TRUE(internal::IsVaultRedirect(308));
  EXPECT_FALSE(internal::IsVaultRedirect(304));
  EXPECT_FALSE(internal::IsVaultRedirect(200));
}

}  // namespace
}  // namespace locksmith
