// The Vault provider's pending stage (src/providers/vault/vault_pending.cc): a pending value at
// the sibling path `.locksmith-pending/<name>`, never a version of the secret itself, promoted by
// a check-and-set write and removed afterwards; against the Vault test server over real HTTP.
#include <string>

#include "providers/vault/vault_provider_fixture.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::LogCapture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPendingMetadata[] =
    "/v1/secret/metadata/agentauri-backend/production/.locksmith-pending/";
constexpr char kSecretMetadata[] = "/v1/secret/metadata/agentauri-backend/production/";

// A rotator: the writer policy plus delete on the pending copies' metadata (docs/vault.md).
const std::string kRotatorPolicy = kWriterPolicy + R"(
path "secret/metadata/agentauri-backend/production/.locksmith-pending/*" {
  capabilities = ["read", "list", "delete"]
}
)";

class VaultPendingTest : public VaultProviderTest {
 protected:
  std::unique_ptr<internal::VaultProvider> Rotator(HookedHttpClient** hook = nullptr) {
    return Make(Options(server_.MakeAppRole("rotator", "rotator", kRotatorPolicy)), hook);
  }
  // The secret's own latest version number in Vault (0 when absent).
  std::int64_t SecretVersion(const std::string& name) {
    auto meta = server_.Admin("GET", kSecretMetadata + name);
    return meta.is_object() && meta.contains("data") ? meta["data"].value("current_version", 0) : 0;
  }
  int PendingStatus(const std::string& name) {
    int status = 0;
    server_.Admin("GET", kPendingMetadata + name, nullptr, "", &status);
    return status;
  }
};

TEST_F(VaultPendingTest, PutGetDescribeListPromote) {
  Write("jwt-secret", "one");
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);

  auto pending = provider->Put("jwt-secret", SecretValue("two"), Stage::kPending);
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->version_id, "pending-1");
  EXPECT_THAT(pending->stages, ElementsAre(Stage::kPending));
  // Not a version of the secret: every other Vault reader still sees "one" as latest.
  EXPECT_EQ(SecretVersion("jwt-secret"), 1);
  auto current = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("one"));

  auto got = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("two"));
  EXPECT_EQ(got->version.version_id, "pending-1");
  EXPECT_THAT(got->version.stages, ElementsAre(Stage::kPending));
  auto by_id = provider->Get("jwt-secret", VersionSelector::ById("pending-1"));
  ASSERT_THAT(by_id, IsOk());
  EXPECT_TRUE(by_id->value.Equals("two"));

  auto described = provider->Describe("jwt-secret");
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->versions.size(), 2u);
  EXPECT_EQ(described->versions[0].version_id, "pending-1");
  EXPECT_THAT(described->versions[0].stages, ElementsAre(Stage::kPending));
  EXPECT_EQ(described->versions[1].version_id, "1");
  EXPECT_THAT(described->versions[1].stages, ElementsAre(Stage::kCurrent));

  auto listed = provider->List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(*listed, ElementsAre("jwt-secret"));
  auto dotted = provider->List(".");
  ASSERT_THAT(dotted, IsOk());
  EXPECT_TRUE(dotted->empty());

  ASSERT_THAT(provider->PromoteToCurrent("jwt-secret", "pending-1"), IsOk());
  auto promoted = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(promoted, IsOk());
  EXPECT_TRUE(promoted->value.Equals("two"));
  EXPECT_EQ(promoted->version.version_id, "2");
  auto previous = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("one"));
  EXPECT_EQ(PendingStatus("jwt-secret"), 404);  // every version of the copy is gone
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  auto after = provider->Describe("jwt-secret");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->versions[0].version_id, "2");

  // Promoting again: NOT_FOUND saying why, and no third version.
  EXPECT_THAT(provider->PromoteToCurrent("jwt-secret", "pending-1"),
              HasErrorMessage(ErrorCode::kNotFound, "already promoted or cancelled"));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::ById("pending-1")),
              HasErrorMessage(ErrorCode::kNotFound, "already promoted or cancelled"));
  EXPECT_EQ(SecretVersion("jwt-secret"), 2);
  EXPECT_THAT(provider->PromoteToCurrent("jwt-secret", "pending-x"),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(VaultPendingTest, PromotionKeepsTheMapsOtherFields) {
  server_.Admin("POST", std::string(kDataPrefix) + "db",
                {{"data", {{"value", "old"}, {"username", "app"}}}});
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);
  auto pending = provider->Put("db", SecretValue("new"), Stage::kPending);
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(provider->PromoteToCurrent("db", pending->version_id), IsOk());
  auto data = server_.Admin("GET", std::string(kDataPrefix) + "db");
  EXPECT_EQ(data["data"]["data"], nlohmann::json({{"value", "new"}, {"username", "app"}}));
}

// A secret kept as a map without a `value` field is read whole, as JSON (AWS's rotation templates'
// {"username","password",...}); a JSON object written back is the new map, so Vault's other
// readers see the new password in its own field rather than a `value` beside a stale one. Fails
// on the old merge, which added a `value` field and kept "password":"old".
TEST_F(VaultPendingTest, AMapReadWholeIsWrittenWhole) {
  server_.Admin("POST", std::string(kDataPrefix) + "database",
                {{"data", {{"username", "app"}, {"password", "old"}, {"port", 5432}}}});
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);
  auto whole = provider->Get("database", VersionSelector::Current());
  ASSERT_THAT(whole, IsOk());
  auto pending =
      provider->Put("database", SecretValue(R"({"username":"app","password":"new","port":5432})"),
                    Stage::kPending);
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(provider->PromoteToCurrent("database", pending->version_id), IsOk());
  const nlohmann::json expected = {{"username", "app"}, {"password", "new"}, {"port", 5432}};
  EXPECT_EQ(server_.Admin("GET", std::string(kDataPrefix) + "database")["data"]["data"], expected);
  EXPECT_EQ(SecretVersion("database"), 2);

  // The crash rerun compares maps: no second version.
  auto again =
      provider->Put("database", SecretValue(R"({"username":"app","password":"newer","port":5432})"),
                    Stage::kPending);
  ASSERT_THAT(again, IsOk());
  server_.Admin("POST", std::string(kDataPrefix) + "database",
                {{"data", {{"username", "app"}, {"password", "newer"}, {"port", 5432}}}});
  ASSERT_THAT(provider->PromoteToCurrent("database", again->version_id), IsOk());
  EXPECT_EQ(SecretVersion("database"), 3);

  // A current put does the same; a value that is not a JSON object is kept under `value`.
  ASSERT_THAT(provider->Put("database", SecretValue(R"({"username":"app","password":"p4"})"),
                            Stage::kCurrent),
              IsOk());
  EXPECT_EQ(server_.Admin("GET", std::string(kDataPrefix) + "database")["data"]["data"],
            nlohmann::json({{"username", "app"}, {"password", "p4"}}));
  ASSERT_THAT(provider->Put("database", SecretValue("plain"), Stage::kCurrent), IsOk());
  EXPECT_EQ(server_.Admin("GET", std::string(kDataPrefix) + "database")["data"]["data"],
            nlohmann::json({{"username", "app"}, {"password", "p4"}, {"value", "plain"}}));
}

// A crash after the promote's write and before the copy's removal: the rerun finds the value
// already current, writes no second version, and finishes the cleanup. Fails on a promote that
// writes unconditionally (the secret would reach version 3).
TEST_F(VaultPendingTest, APromoteRerunAfterACrashWritesNoSecondVersion) {
  Write("jwt-secret", "one");
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("jwt-secret", SecretValue("two"), Stage::kPending), IsOk());
  Write("jwt-secret", "two");  // what the crashed promote had written
  ASSERT_EQ(SecretVersion("jwt-secret"), 2);
  ASSERT_THAT(provider->PromoteToCurrent("jwt-secret", "pending-1"), IsOk());
  EXPECT_EQ(SecretVersion("jwt-secret"), 2);
  EXPECT_EQ(PendingStatus("jwt-secret"), 404);

  // The same through a failed removal: the error says the value is current; a rerun cleans up.
  ASSERT_THAT(provider->Put("jwt-secret", SecretValue("three"), Stage::kPending), IsOk());
  server_.SetFault({{"mode", "500"},
                    {"path", "secret/metadata/agentauri-backend/production/.locksmith-pending/"},
                    {"method", "DELETE"},
                    {"count", 1}});
  auto failed = provider->PromoteToCurrent("jwt-secret", "pending-1");
  EXPECT_THAT(failed, HasErrorMessage(ErrorCode::kUnavailable, "the new value is current"));
  EXPECT_THAT(failed.error().message, Not(HasSubstr("three")));
  EXPECT_EQ(SecretVersion("jwt-secret"), 3);
  ASSERT_THAT(provider->PromoteToCurrent("jwt-secret", "pending-1"), IsOk());
  EXPECT_EQ(SecretVersion("jwt-secret"), 3);
  EXPECT_EQ(PendingStatus("jwt-secret"), 404);
}

// As AWS keeps AWSPENDING on a newer version: promoting an older pending version leaves a newer
// one pending.
TEST_F(VaultPendingTest, ANewerPendingSurvivesThePromotionOfAnOlderOne) {
  Write("k", "one");
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("k", SecretValue("a"), Stage::kPending), IsOk());
  auto newer = provider->Put("k", SecretValue("b"), Stage::kPending);
  ASSERT_THAT(newer, IsOk());
  EXPECT_EQ(newer->version_id, "pending-2");
  ASSERT_THAT(provider->PromoteToCurrent("k", "pending-1"), IsOk());
  auto current = provider->Get("k", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("a"));
  auto pending = provider->Get("k", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(pending, IsOk());
  EXPECT_TRUE(pending->value.Equals("b"));
  EXPECT_EQ(pending->version.version_id, "pending-2");
}

TEST_F(VaultPendingTest, APendingPutNeedsTheSecretAndNamesInsideThePendingFolderAreRefused) {
  auto provider = Rotator();
  ASSERT_NE(provider, nullptr);
  EXPECT_THAT(provider->Put("fresh", SecretValue("v"), Stage::kPending),
              HasErrorMessage(ErrorCode::kNotFound, "put it as current"));
  EXPECT_EQ(PendingStatus("fresh"), 404);  // nothing created
  EXPECT_THAT(provider->Get("fresh", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(provider->Put("fresh", SecretValue("v"), Stage::kPrevious),
              HasError(ErrorCode::kInvalidArgument));

  Write("k", "one");
  for (const char* name : {".locksmith-pending/k", ".locksmith-pending"}) {
    EXPECT_THAT(provider->Get(name, VersionSelector::Current()),
                HasErrorMessage(ErrorCode::kInvalidArgument, "pending versions"));
    EXPECT_THAT(provider->Put(name, SecretValue("v"), Stage::kCurrent),
                HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(provider->Describe(name), HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(provider->PromoteToCurrent(name, "1"), HasError(ErrorCode::kInvalidArgument));
  }
  EXPECT_THAT(provider->Get("a/.locksmith-pending/k", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));  // only the first segment is reserved
}

// A writer policy from before the pending stage (no delete on metadata) still rotates: the copy
// is ended with a tombstone version, with one warning naming the rule to add.
TEST_F(VaultPendingTest, AWriterThatMayNotDeleteMetadataEndsTheCopyWithATombstone) {
  Write("k", "one");
  LogCapture logs;
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("k", SecretValue("two"), Stage::kPending), IsOk());
  ASSERT_THAT(provider->PromoteToCurrent("k", "pending-1"), IsOk());
  auto current = provider->Get("k", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("two"));
  EXPECT_THAT(provider->Get("k", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  auto described = provider->Describe("k");
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->versions[0].version_id, "2");
  EXPECT_THAT(provider->PromoteToCurrent("k", "pending-1"),
              HasErrorMessage(ErrorCode::kNotFound, "already promoted"));
  EXPECT_EQ(SecretVersion("k"), 2);
  EXPECT_THAT(logs.Text(), HasSubstr("grant delete on secret/metadata/agentauri-backend/"
                                     "production/.locksmith-pending/*"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr("two")));

  // The next rotation writes over the tombstone.
  auto next = provider->Put("k", SecretValue("three"), Stage::kPending);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->version_id, "pending-3");
  ASSERT_THAT(provider->PromoteToCurrent("k", "pending-3"), IsOk());
  EXPECT_EQ(SecretVersion("k"), 3);
}

// Errors of pending writes and promotions never quote the value, even from a Vault that echoes
// the request; a promote that loses a check-and-set race is ABORTED and writes nothing.
TEST_F(VaultPendingTest, ErrorsNeverHoldTheValue) {
  constexpr char kPlanted[] = "PLANTED-pending-value-Jr81";
  Write("k", "one");
  HookedHttpClient* hook = nullptr;
  auto provider = Rotator(&hook);
  ASSERT_NE(provider, nullptr);
  server_.SetFault({{"mode", "echo"},
                    {"path", "secret/data/agentauri-backend/production/.locksmith-pending/"},
                    {"method", "POST"},
                    {"count", 1}});
  auto echoed = provider->Put("k", SecretValue(kPlanted), Stage::kPending);
  ASSERT_FALSE(echoed.ok());
  EXPECT_THAT(echoed.error().message, Not(HasSubstr("PLANTED")));

  ASSERT_THAT(provider->Put("k", SecretValue(kPlanted), Stage::kPending), IsOk());
  bool injected = false;
  hook->before = [&](const internal::HttpRequest& request) {
    if (request.method == "POST" && !injected &&
        request.url.find("/data/agentauri-backend/production/k") != std::string::npos) {
      injected = true;
      Write("k", "theirs");
    }
  };
  auto raced = provider->PromoteToCurrent("k", "pending-1");
  EXPECT_THAT(raced, HasErrorMessage(ErrorCode::kAborted, "check-and-set"));
  EXPECT_THAT(raced.error().message, Not(HasSubstr("PLANTED")));
  hook->before = nullptr;
  EXPECT_EQ(SecretVersion("k"), 2);  // theirs, not ours
  auto pending = provider->Get("k", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(pending, IsOk());  // still there for a rerun
  server_.SetFault({{"mode", "echo"},
                    {"path", "secret/data/agentauri-backend/production/k"},
                    {"method", "POST"},
                    {"count", 1}});
  auto refused = provider->PromoteToCurrent("k", "pending-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, Not(HasSubstr("PLANTED")));
  ASSERT_THAT(provider->PromoteToCurrent("k", "pending-1"), IsOk());
  EXPECT_EQ(SecretVersion("k"), 3);
}

}  // namespace
}  // namespace locksmith
