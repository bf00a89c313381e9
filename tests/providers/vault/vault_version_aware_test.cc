// Version-aware refresh: with the metadata endpoint allowed, a version already read is never
// read again (tests/servers/vault_server.py counts data and metadata reads). The cache itself
// (core/version_cache.h) is tested in tests/core/version_cache_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/vault/vault_provider_fixture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;

class VaultVersionAwareTest : public VaultProviderTest {
 protected:
  int DataReads() { return server_.Stats()["data_reads"].get<int>(); }
  int MetadataReads() { return server_.Stats()["metadata_reads"].get<int>(); }

  std::string Current(internal::VaultProvider& provider, const std::string& name) {
    auto got = provider.Get(name, VersionSelector::Current());
    EXPECT_THAT(got, IsOk());
    return got.ok() ? std::string(got->value.RevealUnsafe()) + "@" + got->version.version_id
                    : std::string();
  }
};

TEST_F(VaultVersionAwareTest, UnchangedSecretCostsOnlyAMetadataRead) {
  Write("jwt-secret", "one");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);

  EXPECT_EQ(Current(*provider, "jwt-secret"), "one@1");
  EXPECT_EQ(DataReads(), 1);
  EXPECT_EQ(MetadataReads(), 0);  // the first read needs no metadata

  EXPECT_EQ(Current(*provider, "jwt-secret"), "one@1");
  EXPECT_EQ(Current(*provider, "jwt-secret"), "one@1");
  EXPECT_EQ(DataReads(), 1);
  EXPECT_EQ(MetadataReads(), 2);
}

TEST_F(VaultVersionAwareTest, NewVersionIsReadOnceAndPreviousComesFromWhatIsHeld) {
  Write("jwt-secret", "one");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(Current(*provider, "jwt-secret"), "one@1");

  Write("jwt-secret", "two");  // another writer rotates
  EXPECT_EQ(Current(*provider, "jwt-secret"), "two@2");
  EXPECT_EQ(DataReads(), 2);
  EXPECT_EQ(MetadataReads(), 1);

  auto previous = provider->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("one"));
  EXPECT_EQ(previous->version.version_id, "1");
  EXPECT_EQ(DataReads(), 2);  // version 1 was held
  EXPECT_EQ(MetadataReads(), 2);
}

TEST_F(VaultVersionAwareTest, HeldMapsKeepEveryField) {
  server_.Admin("POST", std::string(kDataPrefix) + "database",
                {{"data", {{"username", "svc"}, {"password", "pw"}, {"port", 5432}}}});
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  auto first = provider->Get("database", VersionSelector::Current());
  ASSERT_THAT(first, IsOk());
  auto held = provider->Get("database", VersionSelector::Current());  // from the held copy
  ASSERT_THAT(held, IsOk());
  EXPECT_EQ(DataReads(), 1);
  EXPECT_EQ(held->value.RevealUnsafe(), first->value.RevealUnsafe());
  EXPECT_EQ(held->version.version_id, "1");
  EXPECT_EQ(held->version.created, first->version.created);
}

TEST_F(VaultVersionAwareTest, DeletedCurrentFallsBackToTheHeldOlderVersion) {
  Write("api-key", "k1");
  Write("api-key", "k2");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  ASSERT_THAT(provider->Get("api-key", VersionSelector::AtStage(Stage::kPrevious)), IsOk());
  EXPECT_EQ(Current(*provider, "api-key"), "k2@2");
  int reads = DataReads();

  server_.Admin("POST", "/v1/secret/delete/agentauri-backend/production/api-key",
                {{"versions", {2}}});
  EXPECT_EQ(Current(*provider, "api-key"), "k1@1");
  EXPECT_EQ(DataReads(), reads);  // version 1 was held; the metadata said 2 is deleted

  // Every version deleted: not found, and nothing stale is served.
  server_.Admin("POST", "/v1/secret/delete/agentauri-backend/production/api-key",
                {{"versions", {1}}});
  EXPECT_THAT(provider->Get("api-key", VersionSelector::Current()), HasError(ErrorCode::kNotFound));
  // Metadata deleted too: not found.
  Write("api-key", "k3");
  EXPECT_EQ(Current(*provider, "api-key"), "k3@3");
  server_.Admin("DELETE", "/v1/secret/metadata/agentauri-backend/production/api-key", nullptr);
  EXPECT_THAT(provider->Get("api-key", VersionSelector::Current()), HasError(ErrorCode::kNotFound));
}

TEST_F(VaultVersionAwareTest, LeastPrivilegePolicyReadsTheDataEveryTime) {
  Write("api-key", "k1");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(Current(*provider, "api-key"), "k1@1");
  EXPECT_EQ(Current(*provider, "api-key"), "k1@1");  // metadata refused (403) -> data read
  EXPECT_TRUE(provider->metadata_denied());
  Write("api-key", "k2");
  EXPECT_EQ(Current(*provider, "api-key"), "k2@2");
  EXPECT_EQ(DataReads(), 3);
  EXPECT_EQ(MetadataReads(), 0);
}

TEST_F(VaultVersionAwareTest, MetadataOutageIsAnErrorNotAStaleAnswer) {
  Write("api-key", "k1");
  auto provider = Make(Options(server_.MakeAppRole("app", "writer", kWriterPolicy)));
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(Current(*provider, "api-key"), "k1@1");
  server_.SetFault({{"mode", "500"}});
  // The runtime retries and serves its last good value meanwhile; the provider must not guess.
  EXPECT_THAT(provider->Get("api-key", VersionSelector::Current()),
              HasError(ErrorCode::kUnavailable));
  server_.SetFault({{"mode", "none"}});
  EXPECT_EQ(Current(*provider, "api-key"), "k1@1");
}

}  // namespace
}  // namespace locksmith
