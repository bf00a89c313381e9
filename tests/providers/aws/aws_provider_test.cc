// AwsSecretsManagerProvider against tests/servers/aws_server.py over real sockets: stages and
// versions, pagination, batch preload, faults, bad and expired signatures, expired credentials.
#include "locksmith/aws_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "core/crypto.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "support/log_capture.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::kAwsTestAccessKey;
using ::locksmith::testing::kAwsTestSecretKey;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kPrefix[] = "agentauri-backend/production";
constexpr char kPlanted[] = "planted-Secret-Value-7f3a9c";

// Static credentials, counting fetches; `next` (if set) replaces them after the first fetch.
class ScriptedSource : public internal::AwsCredentialSource {
 public:
  ScriptedSource(std::string key, std::string secret, std::optional<std::string> token = {})
      : key_(std::move(key)), secret_(std::move(secret)), token_(std::move(token)) {}
  Result<internal::AwsCredentials> Fetch() override {
    ++fetches;
    if (fetches > 1 && next_key) {
      key_ = *next_key;
      secret_ = *next_secret;
      token_.reset();
    }
    internal::AwsCredentials creds;
    creds.access_key_id = key_;
    creds.secret_access_key = SecretValue(secret_);
    if (token_) {
      creds.session_token = SecretValue(*token_);
    }
    return creds;
  }
  std::string_view Name() const override { return "scripted"; }

  int fetches = 0;
  std::optional<std::string> next_key;
  std::optional<std::string> next_secret;

 private:
  std::string key_;
  std::string secret_;
  std::optional<std::string> token_;
};

class AwsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "aws test server did not start";
    server_.SetClock(clock_.WallNow());
  }

  AwsOptions Options() {
    AwsOptions options;
    options.region = "eu-west-1";
    options.endpoint_url = server_.url();
    options.prefix = kPrefix;
    options.timeout = 5s;
    return options;
  }

  std::unique_ptr<internal::AwsProviderImpl> Make(
      AwsOptions options, internal::AwsCredentialSourcePtr source = nullptr) {
    if (source == nullptr) {
      source = std::make_unique<ScriptedSource>(kAwsTestAccessKey, kAwsTestSecretKey);
    }
    auto http = internal::CreateCurlHttpClient({});
    EXPECT_THAT(http, IsOk());
    auto provider = internal::AwsProviderImpl::Create(std::move(options), std::move(http).value(),
                                                      nullptr, std::move(source), clock_, random_);
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
};

TEST_F(AwsProviderTest, KindIsAws) {
  auto provider = Make(Options());
  EXPECT_EQ(provider->Kind(), "aws");
  EXPECT_EQ(provider->Endpoint(), server_.url());
}

TEST_F(AwsProviderTest, StagesAndVersionsFollowRotation) {
  auto provider = Make(Options());
  auto v1 = provider->Put("jwt-secret", SecretValue("value-one"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  EXPECT_THAT(v1->stages, ElementsAre(Stage::kCurrent));
  // The ClientRequestToken is a fresh UUID from the injected Random.
  EXPECT_EQ(v1->version_id, "01020304-0506-4708-890a-0b0c0d0e0f10");

  auto current = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("value-one"));
  EXPECT_EQ(current->version.version_id, v1->version_id);
  EXPECT_EQ(current->name, "jwt-secret");
  EXPECT_EQ(current->version.created, clock_.WallNow());

  auto v2 = provider->Put("jwt-secret", SecretValue("value-two"), Stage::kPending);
  ASSERT_THAT(v2, IsOk());
  EXPECT_THAT(v2->stages, ElementsAre(Stage::kPending));
  EXPECT_NE(v2->version_id, v1->version_id);
  auto pending = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(pending, IsOk());
  EXPECT_TRUE(pending->value.Equals("value-two"));
  EXPECT_TRUE(provider->Get("jwt-secret", VersionSelector::Current())->value.Equals("value-one"));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)),
              HasError(ErrorCode::kNotFound));

  ASSERT_THAT(provider->PromoteToCurrent("jwt-secret", v2->version_id), IsOk());
  EXPECT_TRUE(provider->Get("jwt-secret", VersionSelector::Current())->value.Equals("value-two"));
  EXPECT_TRUE(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious))
                  ->value.Equals("value-one"));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  EXPECT_TRUE(provider->Get("jwt-secret", VersionSelector::ById(v1->version_id))
                  ->value.Equals("value-one"));

  auto description = provider->Describe("jwt-secret");
  ASSERT_THAT(description, IsOk());
  ASSERT_EQ(description->versions.size(), 2u);
  EXPECT_EQ(description->versions[0].version_id, v2->version_id);
  EXPECT_THAT(description->versions[0].stages, ElementsAre(Stage::kCurrent));
  EXPECT_THAT(description->versions[1].stages, ElementsAre(Stage::kPrevious));
  ASSERT_TRUE(description->last_rotated.has_value());
  EXPECT_EQ(*description->last_rotated, clock_.WallNow());

  // A plain Put to current moves the labels like the service does.
  auto v3 = provider->Put("jwt-secret", SecretValue("value-three"), Stage::kCurrent);
  ASSERT_THAT(v3, IsOk());
  EXPECT_TRUE(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious))
                  ->value.Equals("value-two"));
  EXPECT_THAT(provider->PromoteToCurrent("jwt-secret", "no-such-version"),
              HasError(ErrorCode::kNotFound));
}

// AWS makes a secret's first version AWSCURRENT whatever labels were asked for (the test server
// does too, proved with the aws CLI): a pending first version would be served as current, so it
// is refused and nothing is created.
TEST_F(AwsProviderTest, PendingFirstVersionIsRefusedNotServedAsCurrent) {
  auto provider = Make(Options());
  auto v1 = provider->Put("new-secret", SecretValue("staged-Planted-9f2c"), Stage::kPending);
  EXPECT_THAT(v1, HasErrorMessage(ErrorCode::kNotFound, "put it as current, not as pending"));
  EXPECT_THAT(v1.error().message, Not(HasSubstr("Planted")));
  EXPECT_EQ(server_.OpCount("CreateSecret"), 0);
  EXPECT_THAT(provider->Get("new-secret", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
  // Put as current, then a pending version: pending only, as before.
  ASSERT_THAT(provider->Put("new-secret", SecretValue("one"), Stage::kCurrent), IsOk());
  auto v2 = provider->Put("new-secret", SecretValue("two"), Stage::kPending);
  ASSERT_THAT(v2, IsOk());
  EXPECT_THAT(v2->stages, ElementsAre(Stage::kPending));
  EXPECT_TRUE(provider->Get("new-secret", VersionSelector::Current())->value.Equals("one"));
}

TEST_F(AwsProviderTest, BinaryValuesAndFieldsRoundTrip) {
  auto provider = Make(Options());
  const std::string binary("\x00\xff\x10\x80zz", 6);
  ASSERT_THAT(provider->Put("bin", SecretValue(binary), Stage::kCurrent), IsOk());
  auto got = provider->Get("bin", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals(binary));

  ASSERT_THAT(provider->Put("database", SecretValue(R"({"password":"pw-1","user":"app"})"),
                            Stage::kCurrent),
              IsOk());
  auto whole = provider->Get("database", VersionSelector::Current());
  ASSERT_THAT(whole, IsOk());
  EXPECT_TRUE(whole->value.Equals(R"({"password":"pw-1","user":"app"})"));
}

// Bytes a strict UTF-8 check refuses (overlong, surrogate, past U+10FFFF, truncated) go as
// SecretBinary and come back unchanged; a lax check sent them as SecretString and the JSON
// library threw.
TEST_F(AwsProviderTest, ValuesThatAreNotUtf8RoundTripAsSecretBinary) {
  auto provider = Make(Options());
  for (const std::string& bytes : {std::string("over\xC0\xAFlong"), std::string("\xED\xA0\x80"),
                                   std::string("\xF4\x90\x80\x80"), std::string("cut\xE2\x82")}) {
    SCOPED_TRACE(::testing::PrintToString(bytes));
    ASSERT_THAT(provider->Put("bin", SecretValue(bytes), Stage::kCurrent), IsOk());
    auto got = provider->Get("bin", VersionSelector::Current());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.Equals(bytes));
  }
  ASSERT_THAT(provider->Put("text", SecretValue("caf\xC3\xA9"), Stage::kCurrent), IsOk());
  EXPECT_TRUE(provider->Get("text", VersionSelector::Current())->value.Equals("caf\xC3\xA9"));
}

// "name#field" is the runtime's (AwsRuntimeTest.FieldsShareOneRead); a provider refuses it.
TEST_F(AwsProviderTest, FieldReferencesAreRefused) {
  auto provider = Make(Options());
  ASSERT_THAT(provider->Put("database", SecretValue(R"({"password":"pw-1"})"), Stage::kCurrent),
              IsOk());
  server_.Control("POST", "/_test/reset-stats");
  auto field = provider->Get("database#password", VersionSelector::Current());
  EXPECT_THAT(field, HasErrorMessage(ErrorCode::kInvalidArgument, "'database#password'"));
  EXPECT_THAT(field.error().message, Not(HasSubstr("pw-1")));
  EXPECT_THAT(provider->Describe("database#password"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(provider->Put("database#password", SecretValue("x"), Stage::kCurrent),
              HasError(ErrorCode::kInvalidArgument));
  auto batch = provider->GetBatch({"database#password"});
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->errors.size(), 1u);
  EXPECT_EQ(batch->errors[0].second.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(server_.OpCount("GetSecretValue"), 0);
  EXPECT_EQ(server_.OpCount("DescribeSecret"), 0);
}

TEST_F(AwsProviderTest, NotFoundIsNotRetried) {
  auto provider = Make(Options());
  EXPECT_THAT(provider->Get("missing", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kNotFound, "ResourceNotFoundException"));
  EXPECT_EQ(server_.OpCount("GetSecretValue"), 1);
  EXPECT_THAT(provider->Describe("missing"), HasError(ErrorCode::kNotFound));
  EXPECT_THAT(provider->Get("bad name!", VersionSelector::Current()),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(AwsProviderTest, ListPaginatesAndMapsThePrefix) {
  auto provider = Make(Options());
  for (int i = 0; i < 130; ++i) {
    ASSERT_THAT(
        provider->Put("app/s" + std::to_string(1000 + i), SecretValue("x"), Stage::kCurrent),
        IsOk());
  }
  ASSERT_THAT(provider->Put("rpc/alchemy-api-key", SecretValue("x"), Stage::kCurrent), IsOk());
  // Outside the prefix: never listed.
  AwsOptions other = Options();
  other.prefix = "agentauri-backend/staging";
  ASSERT_THAT(Make(other)->Put("app/s9999", SecretValue("x"), Stage::kCurrent), IsOk());

  server_.Control("POST", "/_test/reset-stats");
  auto all = provider->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 131u);
  EXPECT_EQ(all->front(), "app/s1000");
  EXPECT_EQ(all->back(), "rpc/alchemy-api-key");
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end()));
  EXPECT_EQ(server_.OpCount("ListSecrets"), 2);  // 100 + 31

  auto rpc = provider->List("rpc/");
  ASSERT_THAT(rpc, IsOk());
  EXPECT_THAT(*rpc, ElementsAre("rpc/alchemy-api-key"));
}

TEST_F(AwsProviderTest, BatchPreloadUsesTwentyPerCall) {
  auto provider = Make(Options());
  std::vector<std::string> names;
  for (int i = 0; i < 43; ++i) {
    names.push_back("key-" + std::to_string(i));
    ASSERT_THAT(
        provider->Put(names.back(), SecretValue("value-" + std::to_string(i)), Stage::kCurrent),
        IsOk());
  }
  names.push_back("missing-a");
  names.push_back("missing-b");
  server_.Control("POST", "/_test/reset-stats");
  auto batch = provider->GetBatch(names);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(server_.OpCount("BatchGetSecretValue"), 3);  // ceil(45 / 20)
  EXPECT_EQ(server_.OpCount("GetSecretValue"), 0);
  ASSERT_EQ(batch->secrets.size(), 43u);
  std::map<std::string, std::string> values;
  for (const auto& secret : batch->secrets) {
    values[secret.name] = std::string(secret.value.RevealUnsafe());
    EXPECT_THAT(secret.version.stages, ElementsAre(Stage::kCurrent));
  }
  EXPECT_EQ(values["key-0"], "value-0");
  EXPECT_EQ(values["key-42"], "value-42");
  ASSERT_EQ(batch->errors.size(), 2u);
  EXPECT_EQ(batch->errors[0].first, "missing-a");
  EXPECT_EQ(batch->errors[0].second.code, ErrorCode::kNotFound);
  EXPECT_EQ(batch->errors[1].first, "missing-b");
}

// The provider makes one attempt and maps the failure onto a retryable code; retrying is the
// runtime's job (AwsRuntimeTest.TransientFaultsAreRetriedByTheRuntime).
TEST_F(AwsProviderTest, FaultsAreOneRequestAndARetryableError) {
  auto provider = Make(Options());
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  struct Expect {
    const char* kind;
    ErrorCode code;
    const char* text;
  };
  for (const Expect& e : {Expect{"throttle", ErrorCode::kThrottled, "ThrottlingException"},
                          Expect{"500", ErrorCode::kUnavailable, "HTTP 500"},
                          Expect{"internal", ErrorCode::kUnavailable, "InternalServiceError"},
                          Expect{"malformed", ErrorCode::kUnavailable, "malformed"},
                          Expect{"drop", ErrorCode::kUnavailable, ""}}) {
    SCOPED_TRACE(e.kind);
    server_.Control("POST", "/_test/reset-stats");
    server_.Fault({{"kind", e.kind}, {"count", 1}, {"op", "GetSecretValue"}});
    // A new provider each time: one that has read "k" asks DescribeSecret instead.
    auto failed = Make(Options())->Get("k", VersionSelector::Current());
    EXPECT_THAT(failed, HasErrorMessage(e.code, e.text));
    EXPECT_TRUE(IsRetryable(failed.error().code));
    EXPECT_EQ(server_.OpCount("GetSecretValue"), 1);
  }
  EXPECT_THAT(clock_.Sleeps(), ::testing::IsEmpty());  // no backoff of its own
  auto got = Make(Options())->Get("k", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("v"));
}

TEST_F(AwsProviderTest, SlowAnswerIsDeadlineExceeded) {
  AwsOptions options = Options();
  options.timeout = 300ms;
  auto provider = Make(options);
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  server_.Fault({{"kind", "slow"}, {"seconds", 1.5}, {"op", "GetSecretValue"}});
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()),
              HasError(ErrorCode::kDeadlineExceeded));
}

TEST_F(AwsProviderTest, WrongSecretKeyIsUnauthenticatedAndNotLeaked) {
  locksmith::testing::LogCapture logs;
  auto provider = Make(Options(), std::make_unique<ScriptedSource>(kAwsTestAccessKey,
                                                                   "wrong-secret-key-0123456789"));
  auto put = provider->Put("k", SecretValue(kPlanted), Stage::kCurrent);
  EXPECT_THAT(put, HasErrorMessage(ErrorCode::kUnauthenticated, "InvalidSignatureException"));
  EXPECT_THAT(put.error().message, Not(HasSubstr("wrong-secret-key")));
  EXPECT_THAT(put.error().message, Not(HasSubstr(kPlanted)));
  EXPECT_THAT(put.error().message, Not(HasSubstr("com.amazon.coral")));  // namespace stripped
  EXPECT_EQ(server_.Stats()["auth_failures"], 1);                        // never retried
  EXPECT_THAT(logs.Text(), Not(HasSubstr("wrong-secret-key")));
  EXPECT_THAT(logs.Text(), Not(HasSubstr(kPlanted)));
}

TEST_F(AwsProviderTest, UnknownKeyIsUnauthenticated) {
  auto provider = Make(Options(), std::make_unique<ScriptedSource>("AKIDNOBODY", "whatever-key"));
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kUnauthenticated, "UnrecognizedClientException"));
}

TEST_F(AwsProviderTest, ExpiredSignatureIsUnauthenticated) {
  auto provider = Make(Options());
  server_.AdvanceClock(10min);  // our clock is now 10 minutes behind the service's
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kUnauthenticated, "Signature expired"));
}

TEST_F(AwsProviderTest, AccessDeniedIsPermissionDenied) {
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "AKIDREADONLY"},
                   {"secret_key", "read-only-secret-key"},
                   {"allow", {"GetSecretValue", "DescribeSecret"}}});
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  auto reader =
      Make(Options(), std::make_unique<ScriptedSource>("AKIDREADONLY", "read-only-secret-key"));
  EXPECT_THAT(reader->Get("k", VersionSelector::Current()), IsOk());
  EXPECT_THAT(reader->Put("k", SecretValue("v2"), Stage::kCurrent),
              HasErrorMessage(ErrorCode::kPermissionDenied, "AccessDeniedException"));
  EXPECT_THAT(reader->List(""), HasError(ErrorCode::kPermissionDenied));
}

TEST_F(AwsProviderTest, ExpiredSessionTokenIsRefreshedAndTriedOnceMore) {
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>((clock_.WallNow() + 60s).time_since_epoch())
          .count();
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIASHORTLIVED"},
                   {"secret_key", "short-lived-secret"},
                   {"token", "short-lived-session-token"},
                   {"expires", expires}});
  auto source = std::make_unique<ScriptedSource>("ASIASHORTLIVED", "short-lived-secret",
                                                 "short-lived-session-token");
  source->next_key = kAwsTestAccessKey;
  source->next_secret = kAwsTestSecretKey;
  ScriptedSource* raw = source.get();
  auto provider = Make(Options(), std::move(source));
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  clock_.Advance(120s);
  server_.AdvanceClock(120s);
  // The service says ExpiredTokenException; the provider fetches new credentials and succeeds.
  auto got = provider->Get("k", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(raw->fetches, 2);
}

TEST_F(AwsProviderTest, ExpiredSessionTokenThatStaysExpiredFailsAfterOneRefresh) {
  locksmith::testing::LogCapture logs;
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>((clock_.WallNow() + 60s).time_since_epoch())
          .count();
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIASTALE"},
                   {"secret_key", "stale-secret"},
                   {"token", "stale-session-token-value"},
                   {"expires", expires}});
  auto source =
      std::make_unique<ScriptedSource>("ASIASTALE", "stale-secret", "stale-session-token-value");
  ScriptedSource* raw = source.get();
  auto provider = Make(Options(), std::move(source));
  clock_.Advance(120s);
  server_.AdvanceClock(120s);
  auto got = provider->Get("k", VersionSelector::Current());
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kUnauthenticated, "ExpiredTokenException"));
  EXPECT_EQ(raw->fetches, 2);
  EXPECT_THAT(got.error().message, Not(HasSubstr("stale-session-token-value")));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("stale-session-token-value")));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("stale-secret")));
}

TEST_F(AwsProviderTest, PlantedSecretsNeverLeakIntoErrorsOrLogs) {
  locksmith::testing::LogCapture logs;
  constexpr char kKey[] = "planted-Secret-Access-Key-91b2";
  constexpr char kToken[] = "planted-Session-Token-c4d8e0";
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIAPLANTED"}, {"secret_key", kKey}, {"token", kToken}});
  auto provider = Make(Options(), std::make_unique<ScriptedSource>("ASIAPLANTED", kKey, kToken));
  std::vector<std::string> errors;
  auto note = [&](const auto& result) {
    if (!result.ok()) {
      errors.push_back(result.error().ToString());
    }
  };
  note(provider->Put("k", SecretValue(kPlanted), Stage::kCurrent));
  note(provider->Get("k", VersionSelector::Current()));
  note(provider->Get("k#field", VersionSelector::Current()));  // a field reference: refused
  note(provider->GetBatch({"k", "missing"}));
  for (const char* kind : {"throttle", "500", "internal", "malformed", "drop"}) {
    server_.Fault({{"kind", kind}, {"count", 6}});
    note(provider->Get("k", VersionSelector::Current()));
    note(provider->Put("k", SecretValue(kPlanted), Stage::kPending));
  }
  server_.AdvanceClock(10min);
  note(provider->Put("k", SecretValue(kPlanted), Stage::kCurrent));
  EXPECT_GE(errors.size(), 10u);
  std::string all = logs.Text();
  for (const auto& e : errors) {
    all += e;
  }
  for (const char* planted : {kPlanted, kKey, kToken}) {
    EXPECT_THAT(all, Not(HasSubstr(planted)));
  }
}

// issue 9: a server (a proxy, a mock) whose ValidationException quotes the submitted value had
// `put` print it. A write's error now holds no text of the back end's at all.
TEST_F(AwsProviderTest, AnEchoingServerNeverGetsTheValueIntoAWriteError) {
  locksmith::testing::LogCapture logs;
  constexpr char kKey[] = "planted-Secret-Access-Key-91b2";
  constexpr char kToken[] = "planted-Session-Token-c4d8e0";
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIAPLANTED"}, {"secret_key", kKey}, {"token", kToken}});
  auto provider = Make(Options(), std::make_unique<ScriptedSource>("ASIAPLANTED", kKey, kToken));
  const std::string value = "planted\"Value\\<\xC3\xA9>-7f3a9c";
  const std::string as_json = nlohmann::json(value).dump();
  const std::string needles[] = {value,
                                 as_json.substr(1, as_json.size() - 2),
                                 internal::Base64Encode(internal::AsBytes(value)),
                                 internal::Base64UrlEncode(internal::AsBytes(value)),
                                 kKey,
                                 kToken};
  for (const char* op : {"PutSecretValue", "CreateSecret"}) {
    SCOPED_TRACE(op);
    if (std::string(op) == "CreateSecret") {
      server_.Fault({{"kind", "clear"}});
    }
    server_.Fault({{"kind", "echo"}, {"op", op}, {"count", 1}});
    auto put = provider->Put(std::string("echo-") + op, SecretValue(value), Stage::kCurrent);
    ASSERT_THAT(put, HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(put.error().message, HasSubstr("ValidationException"));
    for (const std::string& needle : needles) {
      EXPECT_THAT(put.error().message, Not(HasSubstr(needle)));
      EXPECT_THAT(logs.Text(), Not(HasSubstr(needle)));
    }
  }
  // Promotion is a write too.
  server_.Fault({{"kind", "clear"}});
  auto v1 = provider->Put("promoted", SecretValue(value), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  auto v2 = provider->Put("promoted", SecretValue("second-value"), Stage::kPending);
  ASSERT_THAT(v2, IsOk());
  server_.Fault({{"kind", "echo"}, {"op", "UpdateSecretVersionStage"}, {"count", 1}});
  auto promoted = provider->PromoteToCurrent("promoted", v2->version_id);
  ASSERT_THAT(promoted, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(promoted.error().message, Not(HasSubstr(kPrefix)));  // no text of AWS's
  EXPECT_THAT(promoted.error().message, Not(HasSubstr(kKey)));
}

// A read's error keeps AWS's message (it helps operators) without the credentials that signed it.
TEST_F(AwsProviderTest, AnEchoingServerNeverGetsCredentialsIntoAReadError) {
  locksmith::testing::LogCapture logs;
  constexpr char kKey[] = "planted-Secret-Access-Key-91b2";
  constexpr char kToken[] = "planted-Session-Token-c4d8e0";
  server_.Control("POST", "/_test/credentials",
                  {{"access_key", "ASIAPLANTED"}, {"secret_key", kKey}, {"token", kToken}});
  auto provider = Make(Options(), std::make_unique<ScriptedSource>("ASIAPLANTED", kKey, kToken));
  for (const char* op : {"GetSecretValue", "DescribeSecret", "ListSecrets"}) {
    SCOPED_TRACE(op);
    server_.Fault({{"kind", "echo"}, {"op", op}, {"count", 1}, {"type", "AccessDeniedException"}});
    Error error = std::string(op) == "GetSecretValue"
                      ? provider->Get("k", VersionSelector::Current()).error()
                  : std::string(op) == "DescribeSecret" ? provider->Describe("k").error()
                                                        : provider->List("").error();
    EXPECT_EQ(error.code, ErrorCode::kPermissionDenied);
    EXPECT_THAT(error.message, HasSubstr("signed with ***"));
    EXPECT_THAT(error.message, Not(HasSubstr(kKey)));
    EXPECT_THAT(error.message, Not(HasSubstr(kToken)));
  }
  EXPECT_THAT(logs.Text(), Not(HasSubstr(kKey)));
  EXPECT_THAT(logs.Text(), Not(HasSubstr(kToken)));
}

}  // namespace
}  // namespace locksmith
