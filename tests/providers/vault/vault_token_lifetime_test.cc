// Token lifetime against the stricter test server (issue 10): a token that may not look itself up
// (no default policy) still works, with an unknown TTL; a dead token still fails clearly; Vault's
// system max TTL (768h by default) caps a token whose own max TTL is 0, and the provider logs in
// again before such a token dies. The provider's clock and the server's are advanced together.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/vault/vault_provider_fixture.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

class VaultTokenLifetimeTest : public VaultProviderTest {
 protected:
  // A token of `policies` without Vault's default policy (so no lookup-self or renew-self).
  std::string TokenWithoutDefaultPolicy() {
    server_.Admin("PUT", "/v1/sys/policies/acl/reader", {{"policy", kReaderPolicy}});
    auto created =
        server_.Admin("POST", "/v1/auth/token/create",
                      {{"policies", {"reader"}}, {"no_default_policy", true}, {"ttl", "1h"}});
    return created["auth"]["client_token"].get<std::string>();
  }

  VaultOptions TokenOptions(const std::string& token) {
    VaultOptions options;
    options.addr = server_.addr();
    options.mount_path = kMount;
    options.token = SecretValue(token);
    options.background_renewal = false;
    options.timeout = 5s;
    return options;
  }

  // Whether Vault still takes `token` (lookup-self as root would say; asked with the token itself
  // through a policy that allows it).
  bool Alive(const std::string& token) {
    auto http = internal::CreateCurlHttpClient({});
    internal::HttpRequest request("GET", server_.addr() + "/v1/auth/token/lookup-self");
    request.headers.emplace_back("X-Vault-Token", token);
    auto response = (*http)->Send(request);
    return response.ok() && response->status == 200;
  }

  void AdvanceBoth(std::chrono::seconds by) {
    server_.AdvanceClock(by);
    clock_.Advance(by);
  }
};

// Before: "vault: token rejected (expired, revoked or mistyped)" at start-up, for a token that
// reads its secrets fine.
TEST_F(VaultTokenLifetimeTest, ATokenThatMayNotLookItselfUpStillWorks) {
  testing::LogCapture logs;
  Write("jwt-secret", "value");
  const std::string token = TokenWithoutDefaultPolicy();
  auto provider = Make(TokenOptions(token));
  ASSERT_NE(provider, nullptr);
  auto read = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->value.Equals("value"));
  EXPECT_FALSE(provider->auth().NextActionAt().has_value());  // no renewal can be planned
  EXPECT_THAT(logs.Text(), HasSubstr("auth/token/lookup-self"));
  EXPECT_THAT(logs.Text(), HasSubstr("will not be renewed"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr(token)));
}

// `locksmith status` with such a token: the facts it knows, the TTL as unknown (before: the whole
// status failed with "permission denied").
TEST_F(VaultTokenLifetimeTest, StatusOfATokenThatMayNotLookItselfUp) {
  const std::string token = TokenWithoutDefaultPolicy();
  auto provider = Make(TokenOptions(token));
  ASSERT_NE(provider, nullptr);
  auto details = provider->StatusDetails();
  ASSERT_THAT(details, IsOk());
  std::string text;
  for (const auto& [key, value] : *details) {
    text += key + "=" + value + "\n";
  }
  EXPECT_THAT(text, HasSubstr("vault auth=token"));
  EXPECT_THAT(text, HasSubstr("token ttl=unknown (auth/token/lookup-self denied"));
  EXPECT_THAT(text, Not(HasSubstr(token)));
}

// A dead token still fails clearly: at start-up, and on a read once it dies (before: "permission
// denied reading", as if a policy were missing).
TEST_F(VaultTokenLifetimeTest, ADeadTokenIsStillRejectedClearly) {
  auto dead = internal::VaultProvider::Create(TokenOptions("hvs.no-such-token"),
                                              std::move(internal::CreateCurlHttpClient({})).value(),
                                              clock_, random_);
  EXPECT_THAT(dead, HasErrorMessage(ErrorCode::kUnauthenticated, "token rejected"));

  Write("jwt-secret", "value");
  const std::string token = TokenWithoutDefaultPolicy();
  auto provider = Make(TokenOptions(token));
  ASSERT_NE(provider, nullptr);
  server_.Admin("POST", "/_test/revoke", {{"token", token}});
  auto read = provider->Get("jwt-secret", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kUnauthenticated, "token rejected"));
  EXPECT_THAT(read.error().message, Not(HasSubstr(token)));
}

// Before (server): a role with token_max_ttl 0 renewed forever, so nothing tested the re-login
// that a token capped by Vault's system max TTL needs.
TEST_F(VaultTokenLifetimeTest, TheSystemMaxTtlCapsRenewalAndTheProviderLogsInBeforeTheTokenDies) {
  testing::LogCapture logs;
  server_.Admin("POST", "/_test/config", {{"max_lease_ttl", "3h"}});
  Write("jwt-secret", "value");
  auto approle = server_.MakeAppRole("app", "reader", kReaderPolicy, "", "1h", "0");
  auto provider = Make(Options(approle));
  ASSERT_NE(provider, nullptr);
  for (int minute = 0; minute < 8 * 60; minute += 5) {
    AdvanceBoth(5min);
    provider->RunDueForTest();
    auto token = provider->auth().Current();
    ASSERT_THAT(token, IsOk());
    // The token in use is alive at every step: replaced before it died, not after a 403.
    ASSERT_TRUE(Alive(std::string(token->value.RevealUnsafe()))) << "at minute " << minute + 5;
  }
  EXPECT_GE(provider->auth().logins(), 3u);  // about one login per 3h window
  EXPECT_THAT(logs.Text(), HasSubstr("max TTL near"));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()), IsOk());
}

TEST(VaultTokenErrorTest, InvalidTokenIsUnauthenticatedAndAPolicyDenialIsNot) {
  auto reply_with = [](const char* text) {
    internal::VaultReply reply;
    reply.status = 403;
    reply.json = {{"errors", {text}}};
    return reply;
  };
  auto dead = reply_with("2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n");
  auto denied = reply_with("1 error occurred:\n\t* permission denied\n\n");
  EXPECT_TRUE(internal::VaultSaysInvalidToken(dead));
  EXPECT_FALSE(internal::VaultSaysInvalidToken(denied));
  auto dead_error = internal::VaultError(dead, "reading 'x'", internal::BackendText::kScrubbed);
  EXPECT_EQ(dead_error.code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(dead_error.message, HasSubstr("token rejected"));
  EXPECT_EQ(internal::VaultError(denied, "reading 'x'", internal::BackendText::kScrubbed).code,
            ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace locksmith
