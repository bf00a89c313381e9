// KV mounts with more than one path segment (issue 10): the provider finds the mount of
// VAULT_MOUNT_PATH through sys/internal/ui/mounts/<path>, as the Vault CLI does, once; falls back
// to the first segment (with one warning) only when Vault denies that endpoint; and refuses a
// mount that is not KV v2 with a configuration error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "providers/vault/vault_provider_fixture.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUiMountsPath[] = "/v1/sys/internal/ui/mounts/";

const std::string kTeamKvPolicy = R"(
path "team/kv/data/app/*" {
  capabilities = ["create", "read", "update"]
}
path "team/kv/metadata/app/*" {
  capabilities = ["read", "list"]
}
)";

class VaultMountResolutionTest : public VaultProviderTest {
 protected:
  // POST sys/mounts/<path> as root, as `vault secrets enable` does.
  void Enable(const std::string& path, const nlohmann::json& body) {
    int status = 0;
    server_.Admin("POST", "/v1/sys/mounts/" + path, body, "", &status);
    ASSERT_EQ(status, 204) << path;
  }

  VaultOptions At(const std::string& mount_path, const std::string& policy_name,
                  const std::string& hcl) {
    VaultOptions options = Options(server_.MakeAppRole("app-" + policy_name, policy_name, hcl));
    options.mount_path = mount_path;
    return options;
  }

  // A provider whose requests to sys/internal/ui/mounts are counted in resolves_.
  std::unique_ptr<internal::VaultProvider> Counted(VaultOptions options) {
    HookedHttpClient* hook = nullptr;
    auto provider = Make(std::move(options), &hook);
    if (hook != nullptr) {
      hook->before = [this](const internal::HttpRequest& request) {
        if (request.url.find(kUiMountsPath) != std::string::npos) {
          resolves_.fetch_add(1);
        }
      };
    }
    return provider;
  }

  std::atomic<int> resolves_{0};
};

TEST_F(VaultMountResolutionTest, MultiSegmentMountGetPutListAndVersions) {
  Enable("team/kv", {{"type", "kv"}, {"options", {{"version", "2"}}}});
  auto provider = Counted(At("team/kv/app", "team", kTeamKvPolicy));
  ASSERT_NE(provider, nullptr);

  ASSERT_THAT(provider->Put("db", SecretValue("one"), Stage::kCurrent), IsOk());
  auto second = provider->Put("db", SecretValue("two"), Stage::kCurrent);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->version_id, "2");
  // Where Vault keeps it: under the mount, not under "team/data/kv/...".
  auto stored = server_.Admin("GET", "/v1/team/kv/data/app/db");
  EXPECT_EQ(stored["data"]["data"]["value"], "two");

  auto current = provider->Get("db", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("two"));
  auto previous = provider->Get("db", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("one"));
  auto described = provider->Describe("db");
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->versions.size(), 2u);
  auto listed = provider->List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(*listed, std::vector<std::string>{"db"});
  ASSERT_THAT(provider->PromoteToCurrent("db", "1"), IsOk());
  EXPECT_TRUE(provider->Get("db", VersionSelector::Current())->value.Equals("one"));

  auto details = provider->StatusDetails();
  ASSERT_THAT(details, IsOk());
  EXPECT_THAT(*details, ::testing::Contains(
                            std::pair<std::string, std::string>("vault kv mount", "team/kv")));
  EXPECT_EQ(resolves_.load(), 1);  // resolved once, then cached
}

TEST_F(VaultMountResolutionTest, ConcurrentFirstCallsResolveOnce) {
  Enable("team/kv", {{"type", "kv-v2"}});
  server_.Admin("POST", "/v1/team/kv/data/app/db", {{"data", {{"value", "v"}}}});
  auto provider = Counted(At("team/kv/app", "team", kTeamKvPolicy));
  ASSERT_NE(provider, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto got = provider->Get("db", VersionSelector::Current());
      if (got.ok() && got->value.Equals("v")) {
        ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(resolves_.load(), 1);
}

// Vault's hasMountAccess walks exact and glob rules only: a policy of "+" rules reads the secrets
// but is denied the endpoint. The first segment is then the mount, said once in a warning.
TEST_F(VaultMountResolutionTest, DeniedEndpointFallsBackToTheFirstSegmentWithOneWarning) {
  testing::LogCapture logs;
  Write("jwt-secret", "plus-read");
  auto provider = Counted(At(kMount, "plus", R"(
path "secret/data/+/production/*" {
  capabilities = ["read"]
}
)"));
  ASSERT_NE(provider, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto got = provider->Get("jwt-secret", VersionSelector::Current());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.Equals("plus-read"));
  }
  EXPECT_EQ(resolves_.load(), 1);
  const std::string text = logs.Text();
  EXPECT_THAT(text, HasSubstr("sys/internal/ui/mounts"));
  EXPECT_THAT(text, HasSubstr("assuming the KV mount is 'secret'"));
  const auto first = text.find("assuming the KV mount");
  EXPECT_EQ(text.find("assuming the KV mount", first + 1), std::string::npos) << text;
}

// The same denial with a mount of two segments: the first segment is wrong, and the error of the
// read says why instead of a bare "permission denied".
TEST_F(VaultMountResolutionTest, DeniedEndpointWithATwoSegmentMountExplainsTheDenial) {
  Enable("team/kv", {{"type", "kv-v2"}});
  auto provider = Make(At("team/kv/app", "team-plus", R"(
path "team/kv/data/+/db" {
  capabilities = ["read"]
}
)"));
  ASSERT_NE(provider, nullptr);
  auto got = provider->Get("db", VersionSelector::Current());
  EXPECT_THAT(got, HasError(ErrorCode::kPermissionDenied));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error().message, HasSubstr("VAULT_MOUNT_PATH 'team/kv/app'"));
  EXPECT_THAT(got.error().message, HasSubstr("assumed 'team'"));
}

// No engine mounted there at all: Vault answers the endpoint 403 (so mounts cannot be probed),
// and a read the token's policy allows meets "no handler for route": a configuration error.
TEST_F(VaultMountResolutionTest, UnmountedPathIsAConfigurationError) {
  auto provider = Make(At("nowhere/app", "nowhere", R"(
path "nowhere/*" {
  capabilities = ["read", "list"]
}
)"));
  ASSERT_NE(provider, nullptr);
  auto got = provider->Get("db", VersionSelector::Current());
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kInvalidArgument, "VAULT_MOUNT_PATH 'nowhere/app'"));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.error().message, HasSubstr("no secrets engine is mounted"));
  EXPECT_THAT(provider->List(""), HasError(ErrorCode::kInvalidArgument));
}

TEST_F(VaultMountResolutionTest, KvVersionOneMountIsAConfigurationErrorNotCached) {
  Enable("legacy/kv", {{"type", "kv"}, {"options", {{"version", "1"}}}});
  auto options = At("legacy/kv/app", "legacy", R"(
path "legacy/kv/*" {
  capabilities = ["read", "list"]
}
)");
  const std::string secret_id(options.secret_id->RevealUnsafe());
  auto provider = Counted(std::move(options));
  ASSERT_NE(provider, nullptr);
  for (int i = 1; i <= 2; ++i) {
    auto got = provider->Get("db", VersionSelector::Current());
    EXPECT_THAT(got,
                HasErrorMessage(ErrorCode::kInvalidArgument, "VAULT_MOUNT_PATH 'legacy/kv/app'"));
    ASSERT_FALSE(got.ok());
    EXPECT_THAT(got.error().message, HasSubstr("'legacy/kv' is KV version 1"));
    EXPECT_THAT(got.error().message, Not(HasSubstr("hvs.")));
    EXPECT_THAT(got.error().message, Not(HasSubstr(secret_id)));
    EXPECT_EQ(resolves_.load(), i);  // nothing cached: asked again
  }
  EXPECT_THAT(provider->Put("db", SecretValue("v"), Stage::kCurrent),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(VaultMountResolutionTest, MountOfAnotherTypeIsAConfigurationError) {
  Enable("team/pki", {{"type", "pki"}});
  auto provider = Make(At("team/pki/app", "pki", R"(
path "team/pki/*" {
  capabilities = ["read"]
}
)"));
  ASSERT_NE(provider, nullptr);
  auto got = provider->Get("db", VersionSelector::Current());
  EXPECT_THAT(got, HasErrorMessage(ErrorCode::kInvalidArgument,
                                   "the mount 'team/pki' is a 'pki' secrets engine"));
}

TEST_F(VaultMountResolutionTest, MalformedOrFailedAnswersAreErrorsAndNothingIsCached) {
  Write("jwt-secret", "fine");
  auto provider = Counted(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  const nlohmann::json bodies[] = {
      {{"data", {{"path", "elsewhere/"}, {"type", "kv"}, {"options", {{"version", "2"}}}}}},
      {{"data", {{"type", "kv"}, {"options", {{"version", "2"}}}}}},
      {{"data", {{"path", "secret"}, {"type", "kv"}, {"options", {{"version", "2"}}}}}},
      {{"data", {{"path", "secret/"}, {"type", 7}}}},
      {{"data", {{"path", "secret/"}, {"type", "kv"}, {"options", "2"}}}},
      {{"data", nullptr}},
      nlohmann::json::array(),
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body.dump());
    server_.SetFault({{"mode", "answer"}, {"path", "sys/internal/ui/mounts/"}, {"body", body}});
    auto got = provider->Get("jwt-secret", VersionSelector::Current());
    EXPECT_THAT(got, HasErrorMessage(ErrorCode::kUnavailable, "malformed answer"));
  }
  server_.SetFault({{"mode", "malformed"}, {"path", "sys/internal/ui/mounts/"}});
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kUnavailable));
  server_.SetFault({{"mode", "500"}, {"path", "sys/internal/ui/mounts/"}});
  EXPECT_THAT(provider->Get("jwt-secret", VersionSelector::Current()),
              HasError(ErrorCode::kUnavailable));

  server_.SetFault({{"mode", "none"}});
  const int before = resolves_.load();
  auto got = provider->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("fine"));
  EXPECT_EQ(resolves_.load(), before + 1);
}

}  // namespace
}  // namespace locksmith
