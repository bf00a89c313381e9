// VaultProvider against tests/servers/vault_server.py over real sockets.
#include "locksmith/vault_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "locksmith/naming.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/vault/vault_provider_fixture.h"
#include "providers/vault/vault_provider_internal.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(VaultProviderTest, ReadsByStageAndVersionAndDescribes) {
  Write("jwt-secret", "one");
  Write("jwt-secret", "two");
  Write("jwt-secret", "three");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);

  auto current = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("three"));
  EXPECT_EQ(current->version.version_id, "3");
  EXPECT_THAT(current->version.stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(current->version.created, clock_.WallNow());  // both start at 2026-01-01

  auto previous = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("two"));
  EXPECT_EQ(previous->version.version_id, "2");

  auto first = provider->Get("jwt-secret", VersionSelector::ById("1"));
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->value.Equals("one"));

  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::ById("9")),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::ById("x")),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(provider->Get("missing", VersionSelector::Current()), HasError(ErrorCode::kNotFound));

  auto described = provider->Describe("jwt-secret");
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->versions.size(), 3u);
  EXPECT_EQ(described->versions[0].version_id, "3");
  EXPECT_TRUE(described->versions[0].HasStage(Stage::kCurrent));
  EXPECT_TRUE(described->versions[1].HasStage(Stage::kPrevious));
  EXPECT_TRUE(described->versions[2].stages.empty());
  EXPECT_FALSE(provider->metadata_denied());

  // Deleting version 3 makes 2 current and 1 previous; a destroyed version reads as not found.
  server_.Admin("POST", "/v1/secret/delete/agentauri-backend/production/jwt-secret",
                {{"versions", {3}}});
  auto after = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->value.Equals("two"));
  auto prev = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(prev, IsOk());
  EXPECT_TRUE(prev->value.Equals("one"));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::ById("3")),
              HasError(ErrorCode::kNotFound));
}

TEST_F(VaultProviderTest, FieldsAndWholeMaps) {
  server_.Admin("POST", std::string(kDataPrefix) + "database",
                {{"data", {{"username", "svc"}, {"password", "pw"}, {"port", 5432}}}});
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  // A map without the default field comes back whole, as JSON.
  auto whole = provider->Get("database", VersionSelector::Current());
  ASSERT_THAT(whole, IsOk());
  EXPECT_THAT(std::string(whole->value.RevealUnsafe()), HasSubstr("\"username\":\"svc\""));
  // "name#field" is the runtime's: it reads the field out of that JSON.
  auto field = provider->Get("database#password", VersionSelector::Current());
  EXPECT_THAT(field, HasErrorMessage(ErrorCode::kInvalidArgument, "'database#password'"));
  EXPECT_THAT(field.error().message, Not(HasSubstr("pw")));
  EXPECT_THAT(provider->Describe("database#password"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(provider->Put("database#password", SecretValue("x"), Stage::kCurrent),
              HasError(ErrorCode::kInvalidArgument));
  // The runtime's step (SecretsManager::Get("database#password")) on the provider's answer.
  auto password = ExtractJsonField(whole->value, "password");
  ASSERT_THAT(password, IsOk());
  EXPECT_TRUE(password->Equals("pw"));
  auto port = ExtractJsonField(whole->value, "port");
  ASSERT_THAT(port, IsOk());
  EXPECT_TRUE(port->Equals("5432"));
  EXPECT_THAT(ExtractJsonField(whole->value, "nope"), HasError(ErrorCode::kNotFound));
}

TEST_F(VaultProviderTest, LeastPrivilegePolicyReadsAndFallsBack) {
  Write("api-key", "k1");
  Write("api-key", "k2");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  auto previous = provider->Get("api-key", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("k1"));
  EXPECT_TRUE(provider->metadata_denied());

  auto described = provider->Describe("api-key");
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->versions.size(), 2u);
  EXPECT_EQ(described->versions[0].version_id, "2");
  EXPECT_TRUE(described->versions[0].HasStage(Stage::kCurrent));
  EXPECT_TRUE(described->versions[1].HasStage(Stage::kPrevious));

  EXPECT_THAT(provider->List(""), HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(provider->Put("api-key", SecretValue("k3"), Stage::kCurrent),
              HasError(ErrorCode::kPermissionDenied));
  // A 403 from a live token is a real denial: no extra login.
  EXPECT_EQ(server_.Stats()["logins"], 1);
  EXPECT_EQ(provider->auth().logins(), 1u);
}

TEST_F(VaultProviderTest, PermissionDeniedOutsideThePolicy) {
  server_.Admin("POST", "/v1/secret/data/other/thing", {{"data", {{"value", "x"}}}});
  auto options = Options(server_.MakeAppRole("app", "reader", kReaderPolicy));
  options.mount_path = "secret/other";
  auto provider = Make(std::move(options));
  ASSERT_NE(provider, nullptr);
  EXPECT_THAT(provider->Get("thing", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kPermissionDenied, "permission denied"));
  EXPECT_EQ(server_.Stats()["logins"], 1);
}

TEST_F(VaultProviderTest, PutUsesCheckAndSetAndListsSorted) {
  HookedHttpClient* hook = nullptr;
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)), &hook);
  ASSERT_NE(provider, nullptr);
  auto v1 = provider->Put("rpc/alchemy-api-key", SecretValue("a1"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  EXPECT_EQ(v1->version_id, "1");
  auto v2 = provider->Put("rpc/alchemy-api-key", SecretValue("a2"), Stage::kCurrent);
  ASSERT_THAT(v2, IsOk());
  EXPECT_EQ(v2->version_id, "2");
  ASSERT_THAT(provider->Put("jwt-secret", SecretValue("j"), Stage::kCurrent), IsOk());
  ASSERT_THAT(provider->Put("db-encryption-key", SecretValue("d"), Stage::kCurrent), IsOk());

  auto all = provider->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, ElementsAre("db-encryption-key", "jwt-secret", "rpc/alchemy-api-key"));
  auto rpc = provider->List("rpc/");
  ASSERT_THAT(rpc, IsOk());
  EXPECT_THAT(*rpc, ElementsAre("rpc/alchemy-api-key"));
  auto j = provider->List("j");
  ASSERT_THAT(j, IsOk());
  EXPECT_THAT(*j, ElementsAre("jwt-secret"));

  // Another rotator writes between our read and our write: check-and-set refuses ours.
  bool injected = false;
  hook->before = [&](const internal::HttpRequest& request) {
    if (request.method == "POST" && !injected &&
        request.url.find("/data/agentauri-backend/production/jwt-secret") != std::string::npos) {
      injected = true;
      Write("jwt-secret", "theirs");
    }
  };
  auto conflict = provider->Put("jwt-secret", SecretValue("mine-planted-77"), Stage::kCurrent);
  EXPECT_THAT(conflict, HasErrorMessage(ErrorCode::kAborted, "check-and-set"));
  EXPECT_THAT(conflict.error().message, Not(HasSubstr("mine-planted-77")));
  hook->before = nullptr;
  auto now = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(now, IsOk());
  EXPECT_TRUE(now->value.Equals("theirs"));
}

// (The pending stage: tests/providers/vault/vault_pending_test.cc.)
TEST_F(VaultProviderTest, PutCurrentThenPromoteRollsBack) {
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("session-key", SecretValue("first"), Stage::kCurrent), IsOk());
  auto rotated = provider->Put("session-key", SecretValue("second"), Stage::kCurrent);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->version_id, "2");
  auto previous = provider->Get("session-key", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("first"));

  ASSERT_THAT(provider->PromoteToCurrent("session-key", "1"), IsOk());
  auto current = provider->Get("session-key", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("first"));
  EXPECT_EQ(current->version.version_id, "3");
  EXPECT_THAT(provider->PromoteToCurrent("session-key", "3"), IsOk());  // already current
  EXPECT_THAT(provider->PromoteToCurrent("session-key", "42"), HasError(ErrorCode::kNotFound));
}

// Renewal at ~2/3 TTL and a fresh login before the 4h max TTL, driven by the server's clock and
// the FakeClock together; a read between every step never fails.
TEST_F(VaultProviderTest, RenewsTokenAndLogsInAgainAcrossMaxTtl) {
  Write("jwt-secret", "value");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  auto next = provider->auth().NextActionAt();
  ASSERT_TRUE(next.has_value());
  // FakeRandom's 0.5 takes 5% off two thirds of 1h: 38 minutes.
  EXPECT_EQ(*next - clock_.Now(), std::chrono::minutes(38));

  for (int step = 0; step < 12; ++step) {
    auto due = *provider->auth().NextActionAt() - clock_.Now();
    auto wait = std::chrono::duration_cast<std::chrono::seconds>(due);
    clock_.Advance(wait);
    server_.AdvanceClock(wait);
    provider->RunDueForTest();
    auto read = provider->Get("jwt-secret", VersionSelector::Current());
    ASSERT_THAT(read, IsOk()) << "step " << step;
  }
  auto stats = server_.Stats();
  EXPECT_GE(stats["renewals"].get<int>(), 5);
  EXPECT_GE(stats["logins"].get<int>(), 3);  // 12 x 38 min > 7h: two re-logins at least
  EXPECT_EQ(stats["failed_logins"], 0);
  EXPECT_EQ(provider->auth().renewals(), stats["renewals"].get<std::uint64_t>());
}

TEST_F(VaultProviderTest, RevokedTokenLogsInOnceAndRetries) {
  Write("jwt-secret", "value");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  auto token = provider->auth().Current();
  ASSERT_THAT(token, IsOk());
  server_.Admin("POST", "/_test/revoke", {{"token", std::string(token->value.RevealUnsafe())}});
  auto read = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(server_.Stats()["logins"], 2);
}

TEST_F(VaultProviderTest, ExpiredTokenWithoutRenewalLogsInBeforeReading) {
  Write("jwt-secret", "value");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  // The background work never ran (process suspended): the token is past its TTL.
  clock_.Advance(2h);
  server_.AdvanceClock(2h);
  ASSERT_THAT(provider->Get("jwt-secret", VersionSelector::Current()), IsOk());
  EXPECT_EQ(server_.Stats()["logins"], 2);
}

TEST_F(VaultProviderTest, BackgroundThreadRenewsWhenWoken) {
  auto options = Options(server_.MakeAppRole("app", "reader", kReaderPolicy));
  options.background_renewal = true;
  auto provider = Make(std::move(options));
  ASSERT_NE(provider, nullptr);
  clock_.Advance(39min);
  server_.AdvanceClock(39min);
  provider->auth().Wake();
  // Wait for the event (the renewal), not for time.
  for (int i = 0; i < 2000 && provider->auth().renewals() == 0; ++i) {
    std::this_thread::yield();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(provider->auth().renewals(), 1u);
}

TEST_F(VaultProviderTest, FailedLoginIsUnauthenticatedAndNeverEchoesTheSecretId) {
  testing::LogCapture logs;
  auto approle = server_.MakeAppRole("app", "reader", kReaderPolicy);
  approle.second = "wrong-secret-id-planted-5521";
  auto inner = internal::CreateCurlHttpClient({});
  ASSERT_THAT(inner, IsOk());
  auto provider =
      internal::VaultProvider::Create(Options(approle), std::move(inner).value(), clock_, random_);
  ASSERT_THAT(provider, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(provider.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("planted")));
}

TEST_F(VaultProviderTest, TokenAuthAndSecretIdFile) {
  Write("jwt-secret", "value");
  VaultOptions token_options;
  token_options.addr = server_.addr();
  token_options.mount_path = kMount;
  token_options.token = SecretValue("root");
  token_options.background_renewal = false;
  auto with_token = Make(std::move(token_options));
  ASSERT_NE(with_token, nullptr);
  EXPECT_THAT(with_token->Get("jwt-secret", VersionSelector::Current()), IsOk());
  EXPECT_FALSE(with_token->auth().NextActionAt().has_value());  // root never expires
  auto info = with_token->LookupToken();
  ASSERT_THAT(info, IsOk());
  EXPECT_THAT(info->policies, ElementsAre("root"));

  testing::TempDir dir;
  auto approle = server_.MakeAppRole("app", "reader", kReaderPolicy);
  std::ofstream(dir.path() / "secret-id") << approle.second << "\n";
  auto options = Options(approle);
  options.secret_id.reset();
  options.secret_id_file = dir.path() / "secret-id";
  auto from_file = Make(std::move(options));
  ASSERT_NE(from_file, nullptr);
  EXPECT_THAT(from_file->Get("jwt-secret", VersionSelector::Current()), IsOk());

  VaultOptions bad;
  bad.addr = server_.addr();
  bad.token = SecretValue("not-a-token");
  bad.background_renewal = false;
  auto inner = internal::CreateCurlHttpClient({});
  ASSERT_THAT(inner, IsOk());
  EXPECT_THAT(
      internal::VaultProvider::Create(std::move(bad), std::move(inner).value(), clock_, random_),
      HasError(ErrorCode::kUnauthenticated));
}

TEST_F(VaultProviderTest, NamespaceHeaderSelectsTheNamespace) {
  server_.Admin("POST", "/v1/sys/namespaces/team-a", nlohmann::json::object());
  Write("jwt-secret", "in-team-a", "team-a/");
  auto options = Options(server_.MakeAppRole("app", "reader", kReaderPolicy, "team-a"));
  options.namespace_ = "team-a";
  auto provider = Make(std::move(options));
  ASSERT_NE(provider, nullptr);
  auto read = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(read->value.Equals("in-team-a"));

  VaultOptions root;
  root.addr = server_.addr();
  root.mount_path = kMount;
  root.token = SecretValue("root");
  root.background_renewal = false;
  auto outside = Make(std::move(root));
  ASSERT_NE(outside, nullptr);
  EXPECT_THAT(outside->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
}

TEST_F(VaultProviderTest, FaultsMapToErrorCodes) {
  Write("jwt-secret", "value");
  auto options = Options(server_.MakeAppRole("app", "reader", kReaderPolicy));
  options.timeout = 300ms;
  auto provider = Make(std::move(options));
  ASSERT_NE(provider, nullptr);
  const std::pair<const char*, ErrorCode> cases[] = {
      {"sealed", ErrorCode::kUnavailable}, {"429", ErrorCode::kThrottled},
      {"500", ErrorCode::kUnavailable},    {"502", ErrorCode::kUnavailable},
      {"412", ErrorCode::kUnavailable},    {"malformed", ErrorCode::kUnavailable},
      {"drop", ErrorCode::kUnavailable},   {"slow", ErrorCode::kDeadlineExceeded},
  };
  for (const auto& [mode, code] : cases) {
    // No count: libcurl transparently retries a request whose reused connection was dropped.
    server_.SetFault({{"mode", mode}});
    auto read = provider->Get("jwt-secret", VersionSelector::Current());
    EXPECT_THAT(read, HasError(code)) << mode;
    EXPECT_TRUE(!read.ok() && IsRetryable(read.error().code)) << mode;
    server_.SetFault({{"mode", "none"}});
    EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()), IsOk()) << mode;
  }
  auto sealed_message = [&] {
    server_.SetFault({{"mode", "sealed"}});
    auto r = provider->Get("jwt-secret", VersionSelector::Current());
    server_.SetFault({{"mode", "none"}});
    return r.ok() ? std::string() : r.error().message;
  }();
  EXPECT_THAT(sealed_message, HasSubstr("sealed"));
}

TEST_F(VaultProviderTest, NothingSecretReachesLogsOrErrors) {
  testing::LogCapture logs;
  Write("leak-check", "value-planted-9034");
  auto approle = server_.MakeAppRole("app", "writer", kWriterPolicy, "", "1h", "1h");
  auto provider = Make(Options(approle));
  ASSERT_NE(provider, nullptr);
  auto token = provider->auth().Current();
  ASSERT_THAT(token, IsOk());
  std::string token_text(token->value.RevealUnsafe());
  std::vector<std::string> errors;
  auto read = provider->Get("leak-check", VersionSelector::Current());
  ASSERT_THAT(read, IsOk());
  errors.push_back(
      provider->Get("leak-check#missing", VersionSelector::Current()).error().message);  // refused
  // Renewal comes back capped by the 1h max TTL, then a re-login.
  clock_.Advance(40min);
  server_.AdvanceClock(40min);
  provider->RunDueForTest();
  clock_.Advance(20min);
  server_.AdvanceClock(20min);
  provider->RunDueForTest();
  for (const char* mode : {"sealed", "500", "malformed"}) {
    server_.SetFault({{"mode", mode}, {"count", 1}});
    auto r = provider->Get("leak-check", VersionSelector::Current());
    errors.push_back(r.ok() ? "" : r.error().message);
  }
  std::string all = logs.Text();
  for (const auto& e : errors) {
    all += e;
  }
  EXPECT_THAT(all, Not(HasSubstr("value-planted-9034")));
  EXPECT_THAT(all, Not(HasSubstr(token_text)));
  EXPECT_THAT(all, Not(HasSubstr(approle.second)));
  EXPECT_THAT(logs.Text(), HasSubstr("max TTL near"));
  EXPECT_GE(server_.Stats()["logins"].get<int>(), 2);
}

// issue 9: Vault's error text reached the user as it came: a write's could quote the value, and
// reads, lists and promotions scrubbed nothing, not even the token.
TEST_F(VaultProviderTest, AnEchoingServerNeverGetsTheValueOrTheTokenIntoErrors) {
  testing::LogCapture logs;
  Write("echo", "old-value");
  auto approle = server_.MakeAppRole("app", "writer", kWriterPolicy);
  auto provider = Make(Options(approle));
  ASSERT_NE(provider, nullptr);
  auto token = provider->auth().Current();
  ASSERT_THAT(token, IsOk());
  const std::string token_text(token->value.RevealUnsafe());
  const std::string value = "planted\"Value\\<\xC3\xA9>-5521";
  const std::string as_json = nlohmann::json(value).dump();
  const std::string needles[] = {value, as_json.substr(1, as_json.size() - 2),
                                 internal::Base64Encode(internal::AsBytes(value)), token_text,
                                 approle.second};
  std::vector<std::string> errors;

  // Writes (a put, a promotion): the status says what happened; nothing of Vault's text.
  server_.SetFault({{"mode", "echo"}, {"method", "POST"}, {"count", 1}});
  auto put = provider->Put("echo", SecretValue(value), Stage::kCurrent);
  ASSERT_THAT(put, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(put.error().message, Not(HasSubstr("error occurred")));
  errors.push_back(put.error().message);
  ASSERT_THAT(provider->Put("echo", SecretValue(value), Stage::kCurrent), IsOk());
  server_.SetFault({{"mode", "echo"}, {"method", "POST"}, {"count", 1}});
  auto promoted = provider->PromoteToCurrent("echo", "1");
  ASSERT_THAT(promoted, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(promoted.error().message, Not(HasSubstr("error occurred")));
  errors.push_back(promoted.error().message);

  // Reads (data, metadata, list) keep Vault's text for operators, without the token.
  for (const char* method : {"GET", "LIST"}) {
    SCOPED_TRACE(method);
    server_.SetFault({{"mode", "echo"}, {"method", method}, {"count", 1}});
    auto read = std::string(method) == "GET" ? provider->Get("echo", VersionSelector::Current())
                                             : Result<Secret>(provider->List("").error());
    ASSERT_THAT(read, HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(read.error().message, HasSubstr("token ***"));
    errors.push_back(read.error().message);
  }
  server_.SetFault(
      {{"mode", "echo"}, {"method", "GET"}, {"path", "secret/metadata"}, {"count", 1}});
  auto described = provider->Describe("echo");
  ASSERT_THAT(described, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(described.error().message, HasSubstr("token ***"));
  errors.push_back(described.error().message);

  std::string all = logs.Text();
  for (const auto& e : errors) {
    all += e + "\n";
  }
  for (const std::string& needle : needles) {
    EXPECT_THAT(all, Not(HasSubstr(needle)));
  }
}

// KV v2 holds values as JSON strings: bytes that are not UTF-8 are refused with a clear error
// (the JSON library threw before, which the caller saw as "unexpected exception").
TEST_F(VaultProviderTest, ValuesThatAreNotUtf8AreRefusedClearly) {
  Write("text", "kept");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  for (const std::string& bytes : {std::string("over\xC0\xAFlong"), std::string("\xED\xA0\x80"),
                                   std::string("\xF4\x90\x80\x80"), std::string("\xFF\xFE")}) {
    SCOPED_TRACE(::testing::PrintToString(bytes));
    EXPECT_THAT(provider->Put("text", SecretValue(bytes), Stage::kCurrent),
                HasErrorMessage(ErrorCode::kInvalidArgument, "not valid UTF-8"));
  }
  EXPECT_TRUE(provider->Get("text", VersionSelector::Current())->value.Equals("kept"));
  ASSERT_THAT(provider->Put("text", SecretValue("caf\xC3\xA9"), Stage::kCurrent), IsOk());
  EXPECT_TRUE(provider->Get("text", VersionSelector::Current())->value.Equals("caf\xC3\xA9"));
}

TEST_F(VaultProviderTest, OptionsValidation) {
  VaultOptions none;
  none.addr = server_.addr();
  none.background_renewal = false;
  EXPECT_THAT(CreateVaultProvider(std::move(none), clock_, random_),
              HasErrorMessage(ErrorCode::kInvalidArgument, "credentials"));
  VaultOptions no_addr;
  no_addr.token = SecretValue("root");
  EXPECT_THAT(CreateVaultProvider(std::move(no_addr), clock_, random_),
              HasErrorMessage(ErrorCode::kInvalidArgument, "VAULT_ADDR"));
  VaultOptions half;
  half.addr = server_.addr();
  half.role_id = "r";
  EXPECT_THAT(CreateVaultProvider(std::move(half), clock_, random_),
              HasErrorMessage(ErrorCode::kInvalidArgument, "secret id"));
  VaultOptions plain;
  plain.addr = "http://vault.invalid:8200";
  plain.token = SecretValue("root");
  plain.background_renewal = false;
  EXPECT_THAT(CreateVaultProvider(std::move(plain), clock_, random_),
              HasError(ErrorCode::kFailedPrecondition));
  VaultOptions real;
  real.addr = server_.addr();
  real.mount_path = kMount;
  real.token = SecretValue("root");
  real.background_renewal = false;
  auto provider = CreateVaultProvider(std::move(real), clock_, random_);
  ASSERT_THAT(provider, IsOk());
  EXPECT_EQ((*provider)->Kind(), "vault");
}

TEST(VaultHelpersTest, ParseMountPath) {
  auto parsed = internal::ParseVaultMountPath("secret/agentauri-backend/production");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->mount, "secret");
  EXPECT_EQ(parsed->prefix, "agentauri-backend/production");
  auto bare = internal::ParseVaultMountPath("/kv/");
  ASSERT_THAT(bare, IsOk());
  EXPECT_EQ(bare->mount, "kv");
  EXPECT_EQ(bare->prefix, "");
  EXPECT_THAT(internal::ParseVaultMountPath(""), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::ParseVaultMountPath("a//b"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(internal::ParseVaultMountPath("a/../b"), HasError(ErrorCode::kInvalidArgument));
}

TEST(VaultHelpersTest, ErrorMapping) {
  auto error_for = [](int status, nlohmann::json body) {
    internal::VaultReply reply;
    reply.status = status;
    reply.json = std::move(body);
    const std::string_view secrets[] = {"tok-planted"};
    return internal::VaultError(reply, "reading 'x'", internal::BackendText::kScrubbed, secrets);
  };
  EXPECT_EQ(error_for(403, {{"errors", {"1 error occurred:\n\t* permission denied\n\n"}}}).code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(error_for(404, {{"errors", nlohmann::json::array()}}).code, ErrorCode::kNotFound);
  EXPECT_EQ(error_for(400, {{"errors", {"check-and-set parameter did not match"}}}).code,
            ErrorCode::kAborted);
  EXPECT_EQ(error_for(400, {{"errors", {"no data provided"}}}).code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_for(412, nullptr).code, ErrorCode::kUnavailable);
  EXPECT_EQ(error_for(429, nullptr).code, ErrorCode::kThrottled);
  EXPECT_EQ(error_for(503, {{"errors", {"Vault is sealed"}}}).code, ErrorCode::kUnavailable);
  EXPECT_EQ(error_for(405, nullptr).code, ErrorCode::kUnimplemented);
  auto scrubbed = error_for(500, {{"errors", {"bad token tok-planted here"}}});
  EXPECT_THAT(scrubbed.message, Not(HasSubstr("tok-planted")));
  EXPECT_THAT(scrubbed.message, HasSubstr("***"));
  EXPECT_EQ(error_for(403, {{"errors", {"1 error occurred:\n\t* permission denied\n\n"}}}).message,
            "vault: permission denied reading 'x' (HTTP 403: 1 error occurred: * permission "
            "denied)");
  // A write's error quotes nothing of Vault's, but still tells a check-and-set conflict.
  internal::VaultReply write;
  write.status = 400;
  write.json = {{"errors", {"check-and-set parameter did not match; value 'planted'"}}};
  Error conflict = internal::VaultError(write, "writing 'x'", internal::BackendText::kOmit);
  EXPECT_EQ(conflict.code, ErrorCode::kAborted);
  EXPECT_EQ(conflict.message,
            "vault: a concurrent write won (check-and-set) writing 'x' (HTTP 400)");
}

}  // namespace
}  // namespace locksmith
