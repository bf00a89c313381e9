// The VAULT_* variables: parsing, the rules between them, and CreateProvider's vault branch
// against tests/servers/vault_server.py over a real socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "locksmith/config.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/vault/vault_test_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kPlantedToken[] = "planted-vault-token-Qw81";
constexpr char kPlantedSecretId[] = "planted-vault-secret-id-Zt40";

using Env = testing::FakeEnv;

Env VaultEnv(std::string addr = "https://vault.internal:8200") {
  return Env().Set("SECRETS_BACKEND", "vault").Set("VAULT_ADDR", std::move(addr));
}

// Loads, expects kInvalidArgument naming `needle`, and checks no planted value is in the text.
void ExpectRejected(const Env& env, std::string_view needle) {
  auto c = env.Load();
  ASSERT_THAT(c, HasError(ErrorCode::kInvalidArgument)) << needle;
  EXPECT_THAT(c.error().message, HasSubstr(std::string(needle)));
  EXPECT_THAT(c.error().message, Not(HasSubstr("planted")));
}

TEST(VaultConfigTest, ReadsEveryVariable) {
  auto c = VaultEnv()
               .Set("VAULT_MOUNT_PATH", "/secret/agentauri-backend/production/")
               .Set("VAULT_NAMESPACE", "team-a/")
               .Set("VAULT_TOKEN", std::string(" ") + kPlantedToken + "\n")
               .Set("VAULT_CACERT", "/etc/vault/ca.pem")
               .Set("VAULT_CAPATH", "/etc/vault/ca.d")
               .Set("VAULT_CLIENT_CERT", "/etc/vault/client.pem")
               .Set("VAULT_CLIENT_KEY", "/etc/vault/client.key")
               .Set("VAULT_SKIP_VERIFY", "true")
               .Set("VAULT_CLIENT_TIMEOUT", "10s")
               .Set("LOCKSMITH_ALLOW_INSECURE_HTTP", "yes")
               .Load();
  ASSERT_THAT(c, IsOk());
  const VaultSettings& v = c->vault;
  EXPECT_EQ(v.mount_path, "secret/agentauri-backend/production");
  EXPECT_EQ(v.namespace_, "team-a");
  ASSERT_TRUE(v.token.has_value());
  EXPECT_TRUE(v.token->Equals(kPlantedToken));  // trimmed
  EXPECT_EQ(v.tls.ca_cert, "/etc/vault/ca.pem");
  EXPECT_EQ(v.tls.ca_path, "/etc/vault/ca.d");
  EXPECT_EQ(v.tls.client_cert, "/etc/vault/client.pem");
  EXPECT_EQ(v.tls.client_key, "/etc/vault/client.key");
  EXPECT_TRUE(v.tls.skip_verify);
  EXPECT_TRUE(v.allow_plain_http);
  EXPECT_EQ(v.timeout, 10s);

  VaultOptions options = VaultOptionsFromSettings(v);
  EXPECT_EQ(options.addr, "https://vault.internal:8200");
  EXPECT_EQ(options.mount_path, "secret/agentauri-backend/production");
  EXPECT_EQ(options.namespace_, "team-a");
  ASSERT_TRUE(options.token.has_value());
  EXPECT_TRUE(options.token->Equals(kPlantedToken));
  ASSERT_TRUE(v.token.has_value());  // cloned, not moved out of the config
  EXPECT_EQ(options.tls.client_key, "/etc/vault/client.key");
  EXPECT_TRUE(options.tls.skip_verify);
  EXPECT_TRUE(options.allow_plain_http);
  EXPECT_EQ(options.timeout, 10s);
}

TEST(VaultConfigTest, DefaultsAndFiles) {
  auto c = VaultEnv()
               .Set("VAULT_ROLE_ID", "role-123")
               .Set("VAULT_SECRET_ID_FILE", "/run/secrets/vault-secret-id")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_FALSE(c->vault.tls.skip_verify);
  EXPECT_FALSE(c->vault.allow_plain_http);
  EXPECT_FALSE(c->vault.token.has_value());
  EXPECT_EQ(c->vault.secret_id_file, "/run/secrets/vault-secret-id");
  VaultOptions options = VaultOptionsFromSettings(c->vault);
  EXPECT_EQ(options.mount_path, "secret");  // VAULT_MOUNT_PATH unset: the default KV mount
  EXPECT_EQ(options.role_id, "role-123");
  EXPECT_FALSE(options.secret_id.has_value());
  EXPECT_EQ(options.secret_id_file, "/run/secrets/vault-secret-id");

  auto with_token_file = VaultEnv().Set("VAULT_TOKEN_FILE", "/run/vault/token").Load();
  ASSERT_THAT(with_token_file, IsOk());
  EXPECT_EQ(VaultOptionsFromSettings(with_token_file->vault).token_file, "/run/vault/token");
}

TEST(VaultConfigTest, RulesBetweenVariables) {
  ExpectRejected(VaultEnv().Set("VAULT_SECRET_ID", kPlantedSecretId), "VAULT_ROLE_ID");
  ExpectRejected(VaultEnv().Set("VAULT_SECRET_ID_FILE", "/s"), "VAULT_ROLE_ID");
  ExpectRejected(VaultEnv().Set("VAULT_ROLE_ID", "r"), "VAULT_SECRET_ID");
  ExpectRejected(VaultEnv()
                     .Set("VAULT_ROLE_ID", "r")
                     .Set("VAULT_SECRET_ID", kPlantedSecretId)
                     .Set("VAULT_SECRET_ID_FILE", "/s"),
                 "only one of VAULT_SECRET_ID and VAULT_SECRET_ID_FILE");
  ExpectRejected(VaultEnv().Set("VAULT_TOKEN", kPlantedToken).Set("VAULT_TOKEN_FILE", "/t"),
                 "only one of VAULT_TOKEN and VAULT_TOKEN_FILE");
  ExpectRejected(VaultEnv().Set("VAULT_CLIENT_CERT", "/c.pem"), "VAULT_CLIENT_KEY");
  ExpectRejected(VaultEnv().Set("VAULT_SKIP_VERIFY", "maybe"), "VAULT_SKIP_VERIFY");
  ExpectRejected(VaultEnv().Set("LOCKSMITH_ALLOW_INSECURE_HTTP", "sure"),
                 "LOCKSMITH_ALLOW_INSECURE_HTTP");
  ExpectRejected(VaultEnv().Set("VAULT_CLIENT_TIMEOUT", "later"), "VAULT_CLIENT_TIMEOUT");
}

TEST(VaultConfigTest, PlainHttpOnlyToLoopbackUnlessAllowed) {
  ExpectRejected(VaultEnv("http://vault.internal:8200").Set("VAULT_TOKEN", kPlantedToken),
                 "LOCKSMITH_ALLOW_INSECURE_HTTP");
  EXPECT_THAT(
      VaultEnv("http://vault.internal:8200").Set("LOCKSMITH_ALLOW_INSECURE_HTTP", "true").Load(),
      IsOk());
  for (const char* addr : {"http://127.0.0.1:8200", "http://localhost:8200", "http://[::1]:8200"}) {
    EXPECT_THAT(VaultEnv(addr).Load(), IsOk()) << addr;
  }
  // Only the vault back end cares about VAULT_ADDR's scheme.
  EXPECT_THAT(Env().Set("VAULT_ADDR", "http://vault.internal:8200").Load(), IsOk());
}

TEST(VaultConfigTest, SecretsNeverInErrorText) {
  auto c = VaultEnv("http://vault.internal:8200")
               .Set("VAULT_TOKEN", kPlantedToken)
               .Set("VAULT_TOKEN_FILE", "/t")
               .Set("VAULT_SECRET_ID", kPlantedSecretId)
               .Set("VAULT_SKIP_VERIFY", "nah")
               .Load();
  ASSERT_THAT(c, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(c.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT(c.error().message, HasSubstr("VAULT_ROLE_ID"));
  EXPECT_THAT(c.error().message, HasSubstr("VAULT_TOKEN_FILE"));
}

// --- CreateProvider -----------------------------------------------------------------------

class VaultCreateProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "vault test server did not start"; }

  Result<ProviderPtr> Create(const Env& env) {
    auto config = env.Load();
    if (!config.ok()) {
      return std::move(config).error();
    }
    return CreateProvider(*config, env.Lookup(), clock_, random_);
  }

  testing::VaultTestServer server_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::TempDir dir_;
};

TEST_F(VaultCreateProviderTest, TokenAuth) {
  server_.Admin("POST", "/v1/secret/data/app/jwt-secret", {{"data", {{"value", "v1"}}}});
  auto provider = Create(
      VaultEnv(server_.addr()).Set("VAULT_MOUNT_PATH", "secret/app").Set("VAULT_TOKEN", "root"));
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "vault");
  auto got = (*provider)->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("v1"));
  auto facts = (*provider)->StatusDetails();
  ASSERT_THAT(facts, IsOk());
  std::map<std::string, std::string> by_label(facts->begin(), facts->end());
  EXPECT_EQ(by_label["vault auth"], "token");
  EXPECT_EQ(by_label["token policies"], "root");
  EXPECT_EQ(by_label["token ttl"], "never expires");
  EXPECT_EQ(by_label["vault mount"], "secret/app");
}

TEST_F(VaultCreateProviderTest, AppRoleWithSecretIdFile) {
  auto approle = server_.MakeAppRole(
      "app", "reader", "path \"secret/data/app/*\" {\n  capabilities = [\"read\"]\n}\n");
  const auto file = dir_.path() / "secret-id";
  std::ofstream(file) << approle.second << "\n";
  server_.Admin("POST", "/v1/secret/data/app/jwt-secret", {{"data", {{"value", "v1"}}}});
  auto provider = Create(VaultEnv(server_.addr())
                             .Set("VAULT_MOUNT_PATH", "secret/app")
                             .Set("VAULT_ROLE_ID", approle.first)
                             .Set("VAULT_SECRET_ID_FILE", file.string()));
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->Get("jwt-secret", VersionSelector::Current()), IsOk());
  EXPECT_EQ(server_.Stats()["logins"], 1);
}

TEST_F(VaultCreateProviderTest, TokenFile) {
  const auto file = dir_.path() / "token";
  std::ofstream(file) << "root\n";
  auto provider = Create(VaultEnv(server_.addr()).Set("VAULT_TOKEN_FILE", file.string()));
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->List(""), IsOk());
}

TEST_F(VaultCreateProviderTest, ErrorsPassThroughWithoutSecrets) {
  auto rejected = Create(VaultEnv(server_.addr()).Set("VAULT_TOKEN", kPlantedToken));
  ASSERT_THAT(rejected, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(rejected.error().message, Not(HasSubstr("planted")));

  auto bad_login = Create(VaultEnv(server_.addr())
                              .Set("VAULT_ROLE_ID", "no-such-role")
                              .Set("VAULT_SECRET_ID", kPlantedSecretId));
  ASSERT_THAT(bad_login, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(bad_login.error().message, Not(HasSubstr("planted")));

  EXPECT_THAT(Create(VaultEnv(server_.addr())), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Create(VaultEnv(server_.addr())
                         .Set("VAULT_TOKEN", "root")
                         .Set("VAULT_CACERT", (dir_.path() / "missing-ca.pem").string())),
              HasError(ErrorCode::kInvalidArgument));

  server_.SetFault({{"mode", "sealed"}});
  EXPECT_THAT(Create(VaultEnv(server_.addr()).Set("VAULT_TOKEN", "root")),
              HasError(ErrorCode::kUnavailable));
  server_.SetFault({{"mode", "none"}});
}

}  // namespace
}  // namespace locksmith
