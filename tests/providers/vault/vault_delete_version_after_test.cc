// delete_version_after (issue 10): every version then carries a deletion_time in the future, and
// Vault serves it until that time passes. The provider's clock and the test server's clock start
// at the same instant and are advanced together.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/vault/vault_provider_fixture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;

// The test server's clock starts at 2026-01-01T00:00:00Z (tests/servers/vault_server.py).
constexpr std::chrono::seconds kServerEpoch{1767225600};
constexpr char kExpiringMetadata[] = "/v1/secret/metadata/agentauri-backend/production/";

class VaultDeleteVersionAfterTest : public VaultProviderTest {
 protected:
  void SetUp() override {
    VaultProviderTest::SetUp();
    clock_.SetWallNow(std::chrono::system_clock::time_point(kServerEpoch));
  }

  // Both clocks, so the provider sees what the server sees.
  void AdvanceBoth(std::chrono::seconds by) {
    server_.AdvanceClock(by);
    clock_.Advance(by);
  }

  // A key whose versions are deleted one hour after they are written.
  void Expiring(const std::string& name) {
    int status = 0;
    server_.Admin("POST", kExpiringMetadata + name, {{"delete_version_after", "1h"}}, "", &status);
    ASSERT_EQ(status, 204);
  }

  std::unique_ptr<internal::VaultProvider> Writer() {
    // Tokens outlive the clock moves of these tests.
    return Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy, "", "8h", "8h")));
  }

  std::string Value(internal::VaultProvider& provider, const std::string& name,
                    VersionSelector selector = VersionSelector::Current()) {
    auto got = provider.Get(name, selector);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? std::string(got->value.RevealUnsafe()) + "@" + got->version.version_id
                    : std::string();
  }
};

TEST_F(VaultDeleteVersionAfterTest, GetServesAVersionUntilItsDeletionTime) {
  Expiring("jwt-secret");
  Write("jwt-secret", "one");
  auto deletion = server_.Admin("GET", std::string(kDataPrefix) + "jwt-secret");
  ASSERT_NE(deletion["data"]["metadata"]["deletion_time"], "");  // in the future: still served
  auto provider = Writer();
  ASSERT_NE(provider, nullptr);

  EXPECT_EQ(Value(*provider, "jwt-secret"), "one@1");
  EXPECT_EQ(Value(*provider, "jwt-secret", VersionSelector::ById("1")), "one@1");
  AdvanceBoth(59min);
  EXPECT_EQ(Value(*provider, "jwt-secret"), "one@1");  // version-aware: from the metadata

  AdvanceBoth(1min);
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::ById("1")),
              HasError(ErrorCode::kNotFound));
}

TEST_F(VaultDeleteVersionAfterTest, PutKeepsTheOtherFields) {
  Expiring("db");
  server_.Admin("POST", std::string(kDataPrefix) + "db",
                {{"data", {{"value", "old"}, {"user", "app"}}}});
  auto provider = Writer();
  ASSERT_NE(provider, nullptr);

  ASSERT_THAT(provider->Put("db", SecretValue("new"), Stage::kCurrent), IsOk());
  auto stored = server_.Admin("GET", std::string(kDataPrefix) + "db");
  EXPECT_EQ(stored["data"]["data"], (nlohmann::json{{"value", "new"}, {"user", "app"}}));
  EXPECT_EQ(stored["data"]["metadata"]["version"], 2);
}

TEST_F(VaultDeleteVersionAfterTest, FallsBackToAnOlderLiveVersionAndThenNotFound) {
  Expiring("jwt-secret");
  auto provider = Writer();
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Put("jwt-secret", SecretValue("one"), Stage::kCurrent), IsOk());
  AdvanceBoth(30min);
  ASSERT_THAT(provider->Put("jwt-secret", SecretValue("two"), Stage::kCurrent), IsOk());
  EXPECT_EQ(Value(*provider, "jwt-secret"), "two@2");
  EXPECT_EQ(Value(*provider, "jwt-secret", VersionSelector::AtStage(Stage::kPrevious)), "one@1");

  AdvanceBoth(31min);  // version 1 is past its deletion time, version 2 is not
  EXPECT_EQ(Value(*provider, "jwt-secret"), "two@2");
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)),
              HasError(ErrorCode::kNotFound));

  AdvanceBoth(30min);  // both are: the held copy of version 2 must not be served
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
}

TEST_F(VaultDeleteVersionAfterTest, DataOnlyPolicyFallsBackTheSameWay) {
  Expiring("jwt-secret");
  Write("jwt-secret", "one");
  AdvanceBoth(30min);
  Write("jwt-secret", "two");
  auto provider = Make(Options(server_.MakeAppRole("ro", "reader", kReaderPolicy, "", "8h", "8h")));
  ASSERT_NE(provider, nullptr);

  EXPECT_EQ(Value(*provider, "jwt-secret"), "two@2");
  EXPECT_EQ(Value(*provider, "jwt-secret", VersionSelector::AtStage(Stage::kPrevious)), "one@1");
  AdvanceBoth(31min);
  EXPECT_EQ(Value(*provider, "jwt-secret"), "two@2");
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)),
              HasError(ErrorCode::kNotFound));
  AdvanceBoth(30min);
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace locksmith
