// The library end to end: SecretsManager over a VaultProvider talking to
// tests/servers/vault_server.py over real sockets. Time is the FakeClock on our side and the
// server's own clock on its side, moved together; nothing sleeps to wait for time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/vault/vault_provider_internal.h"
#include "providers/vault/vault_test_server.h"
#include "runtime/secrets_manager_impl.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kMount[] = "secret/agentauri-backend/production";
constexpr char kDataPrefix[] = "/v1/secret/data/agentauri-backend/production/";

// The operators' guide policy: read on the data path, nothing else.
const std::string kReaderPolicy = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
)";
// Only one secret readable: anything else is a permission denial.
const std::string kJwtOnlyPolicy = R"(
path "secret/data/agentauri-backend/production/jwt-secret" {
  capabilities = ["read"]
}
)";

class VaultRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "vault test server did not start"; }

  VaultOptions AppRoleOptions(const std::string& policy_hcl, const std::string& ns = "") {
    auto approle = server_.MakeAppRole("app", "app-policy", policy_hcl, ns);
    VaultOptions options;
    options.addr = server_.addr();
    options.mount_path = kMount;
    options.namespace_ = ns;
    options.role_id = approle.first;
    options.secret_id = SecretValue(approle.second);
    options.background_renewal = false;
    options.timeout = 500ms;
    return options;
  }

  // Builds the provider (kept as provider_) and a manager over it.
  void Build(VaultOptions options) {
    auto http = internal::CreateCurlHttpClient({});
    ASSERT_THAT(http, IsOk());
    auto provider = internal::VaultProvider::Create(std::move(options), std::move(http).value(),
                                                    clock_, random_);
    ASSERT_THAT(provider, IsOk());
    provider_ = provider->get();
    SecretsManagerOptions manager_options;
    manager_options.background_refresh = false;
    manager_options.cache.ttl = 5min;
    manager_options.retry.max_attempts = 3;
    manager_options.breaker.failure_threshold = 3;
    manager_options.breaker.open_duration = 1min;
    auto manager =
        SecretsManager::Create(ProviderPtr(std::move(provider).value()),
                               {.options = manager_options, .clock = &clock_, .random = &random_});
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();
  }

  void Write(const std::string& name, const std::string& value, const std::string& ns = "") {
    int status = 0;
    server_.Admin("POST", kDataPrefix + name, {{"data", {{"value", value}}}}, ns, &status);
    ASSERT_EQ(status, 200) << name;
  }

  int Requests() { return server_.Stats()["requests"].get<int>(); }

  // Moves both clocks (ours and the server's) together.
  void Advance(std::chrono::seconds s) {
    clock_.Advance(s);
    server_.AdvanceClock(s);
  }

  testing::VaultTestServer server_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  internal::VaultProvider* provider_ = nullptr;  // owned by manager_
  std::unique_ptr<SecretsManager> manager_;
};

TEST_F(VaultRuntimeTest, ReadsByStageAndVersionUnderTheLeastPrivilegePolicy) {
  Write("jwt-secret", "one");
  Write("jwt-secret", "two");
  Write("jwt-secret", "three");
  Write("database", R"({"password":"db-pw","user":"app"})");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);

  auto current = manager_->Get("jwt-secret");
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->Equals("three"));
  auto previous = manager_->GetVersion("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("two"));
  EXPECT_EQ(previous->version.version_id, "2");
  auto first = manager_->GetVersion("jwt-secret", VersionSelector::ById("1"));
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->value.Equals("one"));
  auto field = manager_->Get("database#password");
  ASSERT_THAT(field, IsOk());
  EXPECT_TRUE(field->Equals("db-pw"));

  EXPECT_THAT(manager_->Get("missing"), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(manager_->GetVersion("jwt-secret", VersionSelector::ById("9")),
              HasError(ErrorCode::kNotFound));
  // Metadata and list are outside the policy: describe falls back, list is denied.
  auto described = manager_->Describe("jwt-secret");
  ASSERT_THAT(described, IsOk());
  EXPECT_TRUE(provider_->metadata_denied());
  EXPECT_THAT(manager_->List(""), HasError(ErrorCode::kPermissionDenied));

  // A warm cache answers without the server.
  const int before = Requests();
  EXPECT_THAT(manager_->Get("jwt-secret"), IsOk());
  EXPECT_EQ(Requests(), before);
}

TEST_F(VaultRuntimeTest, RotationIsSeenBySubscribersWithoutRestart) {
  Write("jwt-secret", "before");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());
  std::vector<std::string> seen_versions;
  int changed_to_after = 0;
  auto subscription = manager_->Subscribe("jwt-secret", [&](const SecretUpdate& update) {
    seen_versions.push_back(update.version.version_id);
    changed_to_after += update.value.Equals("after") ? 1 : 0;
  });

  // Nothing changed: a refresh calls no one.
  Advance(6min);
  internal::ImplOf(*manager_).RefreshDue();
  EXPECT_TRUE(seen_versions.empty());

  // Another process rotates the secret in Vault; the next refresh notices.
  Write("jwt-secret", "after");
  Advance(6min);
  internal::ImplOf(*manager_).RefreshDue();
  ASSERT_EQ(seen_versions, std::vector<std::string>{"2"});
  EXPECT_EQ(changed_to_after, 1);
  auto now = manager_->Get("jwt-secret");
  ASSERT_THAT(now, IsOk());
  EXPECT_TRUE(now->Equals("after"));

  // An explicit refresh sees a rotation at once.
  Write("jwt-secret", "third");
  ASSERT_THAT(manager_->Refresh("jwt-secret"), IsOk());
  EXPECT_EQ(seen_versions, (std::vector<std::string>{"2", "3"}));
}

// SecretsManager::Rotate on Vault goes through the pending stage (a pending copy beside the
// secret, then one promotion write), reports the version now current, and still creates a
// missing secret as current. Subscribers hear of the promoted version once.
TEST_F(VaultRuntimeTest, RotateGoesThroughPendingAndCreatesAMissingSecret) {
  const std::string rotator = R"(
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
path "secret/metadata/agentauri-backend/production/.locksmith-pending/*" {
  capabilities = ["read", "list", "delete"]
}
)";
  Write("jwt-secret", "before");
  Build(AppRoleOptions(rotator));
  ASSERT_NE(manager_, nullptr);
  std::vector<std::string> seen_versions;
  auto subscription = manager_->Subscribe("jwt-secret", [&](const SecretUpdate& update) {
    seen_versions.push_back(update.version.version_id);
  });
  ASSERT_TRUE(seen_versions.empty() || seen_versions == std::vector<std::string>{"1"});
  seen_versions.clear();

  auto rotated = manager_->Rotate("jwt-secret", 16);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->version_id, "2");  // the secret's version, not "pending-1"
  EXPECT_EQ(seen_versions, std::vector<std::string>{"2"});
  auto meta = server_.Admin("GET", "/v1/secret/metadata/agentauri-backend/production/jwt-secret");
  EXPECT_EQ(meta["data"]["current_version"], 2);
  int status = 0;
  server_.Admin("GET",
                "/v1/secret/metadata/agentauri-backend/production/.locksmith-pending/jwt-secret",
                nullptr, "", &status);
  EXPECT_EQ(status, 404);
  auto previous = manager_->GetVersion("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("before"));

  auto created = manager_->Rotate("brand-new", 16);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->version_id, "1");
  EXPECT_THAT(created->stages, ::testing::ElementsAre(Stage::kCurrent));
  EXPECT_THAT(manager_->Get("brand-new"), IsOk());
  auto listed = manager_->List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(*listed, (std::vector<std::string>{"brand-new", "jwt-secret"}));
}

TEST_F(VaultRuntimeTest, EveryRetryableFaultIsRetried) {
  Write("jwt-secret", "value");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);
  // Each fault hits the next two requests under the data path; the third attempt succeeds.
  for (const char* mode : {"sealed", "429", "500", "502", "412", "malformed", "drop", "slow"}) {
    server_.SetFault({{"mode", mode}, {"count", 2}, {"path", "secret/data/"}, {"delay", 5}});
    const auto sleeps_before = clock_.Sleeps().size();
    auto read = manager_->Refresh("jwt-secret");
    ASSERT_THAT(read, IsOk()) << mode;
    EXPECT_TRUE(read->Equals("value")) << mode;
    // Backoff went through the injected clock. (libcurl itself resends a request whose reused
    // connection was closed before any answer, so "drop" may need fewer attempts.)
    if (std::string(mode) != "drop") {
      EXPECT_EQ(clock_.Sleeps().size() - sleeps_before, 2u) << mode;
    }
    server_.SetFault({{"mode", "none"}});
  }
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
}

TEST_F(VaultRuntimeTest, PermissionDeniedIsNeverRetried) {
  Write("jwt-secret", "value");
  Write("database-password", "not-for-this-app");
  Build(AppRoleOptions(kJwtOnlyPolicy));
  ASSERT_NE(manager_, nullptr);
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());
  const int before = Requests();
  const auto sleeps_before = clock_.Sleeps().size();
  auto denied = manager_->Get("database-password");
  EXPECT_THAT(denied, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(denied.error().message, Not(HasSubstr("not-for-this-app")));
  // The read, then one lookup-self to tell a dead token from a real denial; no retry.
  EXPECT_EQ(Requests() - before, 2);
  EXPECT_EQ(clock_.Sleeps().size(), sleeps_before);
  EXPECT_EQ(server_.Stats()["logins"], 1);
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
}

TEST_F(VaultRuntimeTest, BreakerOpensServesCachedValuesAndFailsClearlyWithout) {
  testing::LogCapture logs;
  Write("jwt-secret", "cached-value");
  Write("database-password", "never-read");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);
  ASSERT_THAT(manager_->Get("jwt-secret"), IsOk());

  server_.SetFault({{"mode", "sealed"}});
  Advance(6min);  // the cached entry is past its TTL
  for (int call = 0; call < 3; ++call) {
    auto served = manager_->Get("jwt-secret");
    ASSERT_THAT(served, IsOk()) << call;  // stale but within max staleness
    EXPECT_TRUE(served->Equals("cached-value"));
  }
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kOpen);

  // Open: no request reaches Vault; the cached value is still served.
  const int before = Requests();
  auto served = manager_->Get("jwt-secret");
  ASSERT_THAT(served, IsOk());
  EXPECT_TRUE(served->Equals("cached-value"));
  auto nothing_cached = manager_->Get("database-password");
  EXPECT_THAT(nothing_cached, HasErrorMessage(ErrorCode::kUnavailable, "circuit breaker open"));
  EXPECT_THAT(nothing_cached.error().message, HasSubstr("no cached value"));
  EXPECT_EQ(Requests(), before);
  EXPECT_THAT(logs.Text(), HasSubstr("circuit breaker for back end 'vault' opened"));

  // Vault unsealed and the open period over: the breaker lets a probe through and closes.
  server_.SetFault({{"mode", "none"}});
  Advance(2min);
  auto fresh = manager_->Get("database-password");
  ASSERT_THAT(fresh, IsOk());
  EXPECT_TRUE(fresh->Equals("never-read"));
  EXPECT_EQ(manager_->Status().breaker, BreakerState::kClosed);
  EXPECT_THAT(logs.Text(), Not(HasSubstr("cached-value")));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("never-read")));
}

TEST_F(VaultRuntimeTest, NothingCachedWhileSealedIsAClearError) {
  Write("jwt-secret", "value");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);
  server_.SetFault({{"mode", "sealed"}});
  auto read = manager_->Get("jwt-secret");
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kUnavailable, "sealed"));
  EXPECT_EQ(clock_.Sleeps().size(), 2u);  // three attempts
  server_.SetFault({{"mode", "none"}});
}

TEST_F(VaultRuntimeTest, TokenRenewalAndReloginAcrossMaxTtlDropNoRead) {
  Write("jwt-secret", "value");
  Build(AppRoleOptions(kReaderPolicy));  // token_ttl 1h, token_max_ttl 4h
  ASSERT_NE(manager_, nullptr);
  for (int step = 0; step < 12; ++step) {
    auto next = provider_->auth().NextActionAt();
    ASSERT_TRUE(next.has_value()) << step;
    Advance(std::chrono::duration_cast<std::chrono::seconds>(*next - clock_.Now()));
    provider_->RunDueForTest();
    // Every read goes to Vault (Refresh) and none fails.
    ASSERT_THAT(manager_->Refresh("jwt-secret"), IsOk()) << "step " << step;
  }
  auto stats = server_.Stats();
  EXPECT_GE(stats["renewals"].get<int>(), 5);
  EXPECT_GE(stats["logins"].get<int>(), 3);  // 12 x ~38 min > 7h: past the 4h max TTL twice
  EXPECT_EQ(stats["failed_logins"], 0);
  EXPECT_TRUE(clock_.Sleeps().empty());  // no read needed a retry

  // The renewal work never ran (a suspended process) and the token died at its max TTL: the next
  // read logs in first.
  const int logins = stats["logins"].get<int>();
  Advance(5h);
  ASSERT_THAT(manager_->Refresh("jwt-secret"), IsOk());
  EXPECT_EQ(server_.Stats()["logins"].get<int>(), logins + 1);
}

TEST_F(VaultRuntimeTest, RevokedTokenIsReplacedTransparently) {
  Write("jwt-secret", "value");
  Build(AppRoleOptions(kReaderPolicy));
  ASSERT_NE(manager_, nullptr);
  auto token = provider_->auth().Current();
  ASSERT_THAT(token, IsOk());
  server_.Admin("POST", "/_test/revoke", {{"token", std::string(token->value.RevealUnsafe())}});
  ASSERT_THAT(manager_->Refresh("jwt-secret"), IsOk());
  EXPECT_EQ(server_.Stats()["logins"], 2);
}

TEST_F(VaultRuntimeTest, NamespaceSelectsItsOwnSecrets) {
  server_.Admin("POST", "/v1/sys/namespaces/team-a", nlohmann::json::object());
  Write("jwt-secret", "in-root");
  Write("jwt-secret", "in-team-a", "team-a");
  Build(AppRoleOptions(kReaderPolicy, "team-a"));
  ASSERT_NE(manager_, nullptr);
  auto read = manager_->Get("jwt-secret");
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->Equals("in-team-a"));
  // The role exists only in team-a: the same credentials cannot log in at the root.
  VaultOptions root = AppRoleOptions(kReaderPolicy, "team-a");
  root.namespace_.clear();
  auto http = internal::CreateCurlHttpClient({});
  ASSERT_THAT(http, IsOk());
  EXPECT_THAT(
      internal::VaultProvider::Create(std::move(root), std::move(http).value(), clock_, random_),
      HasError(ErrorCode::kUnauthenticated));
}

}  // namespace
}  // namespace locksmith
