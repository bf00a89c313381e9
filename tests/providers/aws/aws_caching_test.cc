// Version-aware caching and the batch preload of the AWS provider, counted on the test server:
// an unchanged secret costs one DescribeSecret, a rotated one DescribeSecret plus one
// GetSecretValue, `previous` after `current` nothing more, a denied DescribeSecret falls back to
// reads by stage. Then SecretsManager over the provider: preload, TTL expiry, rotation by another
// writer seen without a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "runtime/secrets_manager_impl.h"
#include "support/log_capture.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::kAwsTestAccessKey;
using ::locksmith::testing::kAwsTestSecretKey;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kCachingPrefix[] = "agentauri-backend/production";
constexpr char kCachedPlanted[] = "planted-Cached-Value-2b7e41";

class AwsCachingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "aws test server did not start";
    server_.SetClock(clock_.WallNow());
  }

  AwsOptions Options() {
    AwsOptions options;
    options.region = "eu-west-1";
    options.endpoint_url = server_.url();
    options.prefix = kCachingPrefix;
    options.timeout = 5s;
    return options;
  }

  std::unique_ptr<internal::AwsProviderImpl> Make(AwsOptions options,
                                                  std::string access_key = kAwsTestAccessKey,
                                                  std::string secret_key = kAwsTestSecretKey) {
    std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", access_key},
                                               {"AWS_SECRET_ACCESS_KEY", secret_key}};
    EnvLookup env = [vars](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    auto http = internal::CreateCurlHttpClient({});
    EXPECT_THAT(http, IsOk());
    auto provider =
        internal::AwsProviderImpl::Create(std::move(options), std::move(http).value(), nullptr,
                                          internal::MakeEnvCredentialSource(env), clock_, random_);
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  void ResetStats() { server_.Control("POST", "/_test/reset-stats"); }
  int Describes() { return server_.OpCount("DescribeSecret"); }
  int Gets() { return server_.OpCount("GetSecretValue"); }

  // A reader allowed only `allow` (and a writer with full rights through the default key).
  std::unique_ptr<internal::AwsProviderImpl> Reader(const std::vector<std::string>& allow) {
    server_.Control("POST", "/_test/credentials",
                    {{"access_key", "AKIDREADER"},
                     {"secret_key", "reader-secret-access-key"},
                     {"allow", allow}});
    return Make(Options(), "AKIDREADER", "reader-secret-access-key");
  }

  AwsTestServer server_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
};

TEST_F(AwsCachingTest, UnchangedSecretIsDescribedOnly) {
  auto writer = Make(Options());
  auto v1 = writer->Put("jwt-secret", SecretValue("value-one"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  auto reader = Make(Options());
  ResetStats();
  auto first = reader->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(Gets(), 1);  // nothing cached yet: read by stage, no DescribeSecret
  EXPECT_EQ(Describes(), 0);
  for (int i = 0; i < 3; ++i) {
    auto again = reader->Get("jwt-secret", VersionSelector::Current());
    ASSERT_THAT(again, IsOk());
    EXPECT_TRUE(again->value.Equals("value-one"));
    EXPECT_EQ(again->version.version_id, v1->version_id);
    EXPECT_THAT(again->version.stages, ElementsAre(Stage::kCurrent));
    EXPECT_EQ(again->version.created, first->version.created);
  }
  EXPECT_EQ(Gets(), 1);
  EXPECT_EQ(Describes(), 3);
}

TEST_F(AwsCachingTest, RotationByAnotherWriterCostsOneGetAndPreviousIsCached) {
  auto writer = Make(Options());
  auto v1 = writer->Put("jwt-secret", SecretValue("value-one"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  auto reader = Make(Options());
  ASSERT_THAT(reader->Get("jwt-secret", VersionSelector::Current()), IsOk());
  auto v2 = writer->Put("jwt-secret", SecretValue("value-two"), Stage::kCurrent);
  ASSERT_THAT(v2, IsOk());
  ResetStats();
  auto current = reader->Get("jwt-secret", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("value-two"));
  EXPECT_EQ(current->version.version_id, v2->version_id);
  EXPECT_EQ(Describes(), 1);
  EXPECT_EQ(Gets(), 1);  // by VersionId, the one DescribeSecret named

  ResetStats();
  auto previous = reader->Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("value-one"));
  EXPECT_EQ(previous->version.version_id, v1->version_id);
  EXPECT_THAT(previous->version.stages, ElementsAre(Stage::kPrevious));  // DescribeSecret's
  EXPECT_EQ(Describes(), 1);
  EXPECT_EQ(Gets(), 0);

  // By version id: immutable, so no call at all.
  ResetStats();
  auto by_id = reader->Get("jwt-secret", VersionSelector::ById(v1->version_id));
  ASSERT_THAT(by_id, IsOk());
  EXPECT_TRUE(by_id->value.Equals("value-one"));
  EXPECT_EQ(Describes() + Gets(), 0);
}

TEST_F(AwsCachingTest, PendingPromotedElsewhereIsSeenThroughDescribe) {
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("k", SecretValue("one"), Stage::kCurrent), IsOk());
  auto reader = Make(Options());
  ASSERT_THAT(reader->Get("k", VersionSelector::Current()), IsOk());
  auto v2 = writer->Put("k", SecretValue("two"), Stage::kPending);
  ASSERT_THAT(v2, IsOk());
  auto pending = reader->Get("k", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(pending, IsOk());
  EXPECT_TRUE(pending->value.Equals("two"));
  EXPECT_TRUE(reader->Get("k", VersionSelector::Current())->value.Equals("one"));

  ASSERT_THAT(writer->PromoteToCurrent("k", v2->version_id), IsOk());
  ResetStats();
  auto current = reader->Get("k", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("two"));
  EXPECT_EQ(Gets(), 0);  // "two" was cached as the pending version
  EXPECT_THAT(reader->Get("k", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  EXPECT_TRUE(reader->Get("k", VersionSelector::AtStage(Stage::kPrevious))->value.Equals("one"));

  // The reader's own writes stay correct too.
  auto v3 = reader->Put("k", SecretValue("three"), Stage::kCurrent);
  ASSERT_THAT(v3, IsOk());
  EXPECT_TRUE(reader->Get("k", VersionSelector::Current())->value.Equals("three"));
  EXPECT_TRUE(reader->Get("k", VersionSelector::AtStage(Stage::kPrevious))->value.Equals("two"));
}

TEST_F(AwsCachingTest, VersionsPerSecretAreBounded) {
  auto writer = Make(Options());
  auto reader = Make(Options());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto v = writer->Put("k", SecretValue("value-" + std::to_string(i)), Stage::kCurrent);
    ASSERT_THAT(v, IsOk());
    ids.push_back(v->version_id);
    ASSERT_TRUE(
        reader->Get("k", VersionSelector::Current())->value.Equals("value-" + std::to_string(i)));
  }
  EXPECT_EQ(reader->version_cache().VersionCount("k"), 3u);
  ResetStats();
  // The oldest was dropped: read again by id; the newest is still cached.
  EXPECT_TRUE(reader->Get("k", VersionSelector::ById(ids[0]))->value.Equals("value-0"));
  EXPECT_TRUE(reader->Get("k", VersionSelector::ById(ids[4]))->value.Equals("value-4"));
  EXPECT_EQ(Gets(), 1);
}

TEST_F(AwsCachingTest, SecretsAreBounded) {
  AwsOptions options = Options();
  options.cached_secrets = 2;
  auto writer = Make(Options());
  auto reader = Make(options);
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_THAT(writer->Put(name, SecretValue(name), Stage::kCurrent), IsOk());
    ASSERT_THAT(reader->Get(name, VersionSelector::Current()), IsOk());
  }
  EXPECT_EQ(reader->version_cache().VersionCount("a"), 0u);  // least recently used
  EXPECT_EQ(reader->version_cache().VersionCount("c"), 1u);
}

TEST_F(AwsCachingTest, CachingCanBeTurnedOff) {
  AwsOptions options = Options();
  options.cached_versions_per_secret = 0;
  auto provider = Make(options);
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  ResetStats();
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  }
  EXPECT_EQ(Gets(), 2);
  EXPECT_EQ(Describes(), 0);
}

TEST_F(AwsCachingTest, DescribeDeniedFallsBackToReadsByStage) {
  locksmith::testing::LogCapture logs;
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("k", SecretValue(kCachedPlanted), Stage::kCurrent), IsOk());
  auto reader = Reader({"GetSecretValue"});
  ResetStats();
  for (int i = 0; i < 3; ++i) {
    auto got = reader->Get("k", VersionSelector::Current());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.Equals(kCachedPlanted));
  }
  EXPECT_EQ(Describes(), 1);  // asked once, refused, never asked again
  EXPECT_EQ(Gets(), 3);
  ASSERT_THAT(writer->Put("k", SecretValue("rotated"), Stage::kCurrent), IsOk());
  EXPECT_TRUE(reader->Get("k", VersionSelector::Current())->value.Equals("rotated"));
  EXPECT_THAT(logs.Text(), HasSubstr("DescribeSecret is not allowed"));
  EXPECT_THAT(logs.Text(), Not(HasSubstr(kCachedPlanted)));
}

TEST_F(AwsCachingTest, DescribeFailuresAreReturnedAndTheNextReadWorks) {
  auto provider = Make(Options());
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  server_.Fault({{"kind", "throttle"}, {"count", 1}, {"op", "DescribeSecret"}});
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()), HasError(ErrorCode::kThrottled));
  EXPECT_TRUE(provider->Get("k", VersionSelector::Current())->value.Equals("v"));
  // A stage that points nowhere is not found, as GetSecretValue would say.
  EXPECT_THAT(provider->Get("k", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
}

TEST_F(AwsCachingTest, DeletedSecretIsNotFoundAndForgotten) {
  auto provider = Make(Options());
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  // Another prefix's provider would not see it; simulate deletion by reading a name whose
  // cache entry exists but whose secret does not: forget through a NotFound DescribeSecret.
  provider->version_cache().Store("ghost", VersionInfo{"id-1", {Stage::kCurrent}, {}},
                                  SecretValue("boo"));
  EXPECT_THAT(provider->Get("ghost", VersionSelector::Current()), HasError(ErrorCode::kNotFound));
  EXPECT_EQ(provider->version_cache().VersionCount("ghost"), 0u);
}

TEST_F(AwsCachingTest, SecretMarkedForDeletionIsNoLongerServedFromTheCache) {
  auto provider = Make(Options());
  ASSERT_THAT(provider->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  ASSERT_THAT(provider->Get("k", VersionSelector::Current()), IsOk());
  // Another writer deletes it (with a recovery window: DescribeSecret still answers).
  auto http = internal::CreateCurlHttpClient({});
  ASSERT_THAT(http, IsOk());
  internal::SecretsManagerClient::Options client_options;
  client_options.endpoint = server_.url();
  client_options.region = "eu-west-1";
  internal::SecretsManagerClient client(client_options, **http, provider->credentials(), clock_);
  const std::string id = std::string(kCachingPrefix) + "/k";
  ASSERT_THAT(client.Call("DeleteSecret", nlohmann::json({{"SecretId", id}}).dump(), "deleting"),
              IsOk());
  ASSERT_THAT(client.Call("DescribeSecret", nlohmann::json({{"SecretId", id}}).dump(), "check"),
              IsOk());
  EXPECT_THAT(provider->Get("k", VersionSelector::Current()),
              HasError(ErrorCode::kFailedPrecondition));  // the service's InvalidRequestException
  EXPECT_EQ(provider->version_cache().VersionCount("k"), 0u);
}

TEST_F(AwsCachingTest, BatchPreloadFillsTheVersionCache) {
  auto writer = Make(Options());
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) {
    names.push_back("bench-" + std::to_string(i));
    ASSERT_THAT(writer->Put(names.back(), SecretValue("v-" + std::to_string(i)), Stage::kCurrent),
                IsOk());
  }
  auto reader = Make(Options());
  ResetStats();
  auto batch = reader->GetCurrentBatch(names);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->secrets.size(), 100u);
  EXPECT_EQ(server_.OpCount("BatchGetSecretValue"), 5);  // ceil(100 / 20)
  EXPECT_EQ(Gets(), 0);
  ResetStats();
  EXPECT_TRUE(reader->Get("bench-7", VersionSelector::Current())->value.Equals("v-7"));
  EXPECT_EQ(Gets(), 0);
  EXPECT_EQ(Describes(), 1);
}

TEST_F(AwsCachingTest, BatchDeniedFallsBackToOneGetPerSecret) {
  locksmith::testing::LogCapture logs;
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("a", SecretValue("1"), Stage::kCurrent), IsOk());
  ASSERT_THAT(writer->Put("b", SecretValue("2"), Stage::kCurrent), IsOk());
  // The operators' least-privilege policy: GetSecretValue and DescribeSecret only.
  auto reader = Reader({"GetSecretValue", "DescribeSecret"});
  ResetStats();
  for (int i = 0; i < 2; ++i) {
    auto batch = reader->GetCurrentBatch({"a", "b", "missing"});
    ASSERT_THAT(batch, IsOk());
    EXPECT_EQ(batch->secrets.size(), 2u);
    ASSERT_EQ(batch->errors.size(), 1u);
    EXPECT_EQ(batch->errors[0].second.code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(server_.OpCount("BatchGetSecretValue"), 1);  // refused once, then not asked
  EXPECT_THAT(logs.Text(), HasSubstr("BatchGetSecretValue is not allowed"));
}

TEST_F(AwsCachingTest, ConcurrentReadersDuringRotationSeeConsistentVersions) {
  auto writer = Make(Options());
  auto v1 = writer->Put("k", SecretValue("value-1"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  auto reader = Make(Options());
  std::atomic<int> bad{0};
  std::mutex seen_mu;
  std::vector<std::pair<std::string, std::string>> seen;  // version id, value
  std::map<std::string, std::string> written = {{v1->version_id, "value-1"}};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        const bool previous = (i + t) % 3 == 0;
        auto got = reader->Get("k", previous ? VersionSelector::AtStage(Stage::kPrevious)
                                             : VersionSelector::Current());
        if (got.ok()) {
          std::lock_guard lock(seen_mu);
          seen.emplace_back(got->version.version_id, std::string(got->value.RevealUnsafe()));
        } else if (!previous || got.error().code != ErrorCode::kNotFound) {
          ++bad;
        }
      }
    });
  }
  for (int i = 2; i <= 4; ++i) {
    auto v = writer->Put("k", SecretValue("value-" + std::to_string(i)), Stage::kCurrent);
    EXPECT_THAT(v, IsOk());
    if (v.ok()) {
      written[v->version_id] = "value-" + std::to_string(i);
    }
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(bad.load(), 0);
  // Every value came with its own version id.
  for (const auto& [id, value] : seen) {
    EXPECT_EQ(written[id], value) << id;
  }
  EXPECT_LE(reader->version_cache().VersionCount("k"), 3u);
  EXPECT_TRUE(reader->Get("k", VersionSelector::Current())->value.Equals("value-4"));
}

// SecretsManager over the AWS provider, time driven by the FakeClock.
class AwsRuntimeTest : public AwsCachingTest {
 protected:
  std::unique_ptr<SecretsManager> Manager(std::unique_ptr<internal::AwsProviderImpl> provider) {
    SecretsManagerOptions options;
    options.cache.ttl = 60s;
    options.cache.ttl_jitter = 0;
    options.background_refresh = false;
    auto manager = SecretsManager::Create(
        std::move(provider), {.options = options, .clock = &clock_, .random = &random_});
    EXPECT_THAT(manager, IsOk());
    return std::move(manager).value();
  }
  // Both clocks move together (the server checks signature times).
  void Advance(std::chrono::seconds s) {
    clock_.Advance(s);
    server_.AdvanceClock(s);
  }
};

TEST_F(AwsRuntimeTest, PreloadThenTtlExpiryDescribesOnly) {
  auto writer = Make(Options());
  std::vector<std::string> refs;
  for (int i = 0; i < 100; ++i) {
    refs.push_back("svc-" + std::to_string(i));
    ASSERT_THAT(writer->Put(refs.back(), SecretValue("v-" + std::to_string(i)), Stage::kCurrent),
                IsOk());
  }
  auto manager = Manager(Make(Options()));
  ResetStats();
  auto preload = manager->Preload(refs);
  ASSERT_THAT(preload, IsOk());
  EXPECT_EQ(preload->loaded.size(), 100u);
  EXPECT_EQ(server_.OpCount("BatchGetSecretValue"), 5);
  EXPECT_TRUE(manager->Get("svc-42")->Equals("v-42"));
  EXPECT_EQ(Gets(), 0);

  ResetStats();
  Advance(61s);
  internal::ImplOf(*manager).RefreshDue();
  EXPECT_EQ(Describes(), 100);
  EXPECT_EQ(Gets(), 0);
  EXPECT_TRUE(manager->Get("svc-42")->Equals("v-42"));
}

TEST_F(AwsRuntimeTest, RotationByAnotherWriterReachesSubscribersWithoutRestart) {
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("jwt-secret", SecretValue("one"), Stage::kCurrent), IsOk());
  auto manager = Manager(Make(Options()));
  std::vector<std::string> seen;
  auto handle = manager->Subscribe("jwt-secret", [&](const SecretUpdate& update) {
    seen.push_back(std::string(update.value.RevealUnsafe()));
  });
  auto v2 = writer->Put("jwt-secret", SecretValue("two"), Stage::kCurrent);
  ASSERT_THAT(v2, IsOk());
  EXPECT_TRUE(manager->Get("jwt-secret")->Equals("one"));  // still within the TTL
  ResetStats();
  Advance(61s);
  internal::ImplOf(*manager).RefreshDue();
  EXPECT_EQ(Describes(), 1);
  EXPECT_EQ(Gets(), 1);
  EXPECT_THAT(seen, ElementsAre("two"));
  EXPECT_TRUE(manager->Get("jwt-secret")->Equals("two"));
  auto previous = manager->GetVersion("jwt-secret", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("one"));

  // A forced refresh goes the same way: DescribeSecret, no value fetched, no sleep.
  ResetStats();
  const auto sleeps = clock_.Sleeps().size();
  EXPECT_TRUE(manager->Refresh("jwt-secret")->Equals("two"));
  EXPECT_EQ(Describes(), 1);
  EXPECT_EQ(Gets(), 0);
  EXPECT_EQ(clock_.Sleeps().size(), sleeps);
  EXPECT_THAT(seen, ElementsAre("two"));
}

// The provider makes one attempt per call; the runtime's retry policy decides how many there are.
TEST_F(AwsRuntimeTest, TransientFaultsAreRetriedByTheRuntime) {
  auto writer = Make(Options());
  ASSERT_THAT(writer->Put("k", SecretValue("v"), Stage::kCurrent), IsOk());
  for (const char* kind : {"throttle", "500", "drop"}) {
    SCOPED_TRACE(kind);
    auto manager = Manager(Make(Options()));
    ResetStats();
    server_.Fault({{"kind", kind}, {"count", 2}, {"op", "GetSecretValue"}});
    auto got = manager->Get("k");
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->Equals("v"));
    EXPECT_EQ(Gets(), 3);  // SecretsManagerOptions::retry.max_attempts, not 3 x 3
  }
}

// Fields are read by the runtime out of the one cached value: one GetSecretValue for all three.
TEST_F(AwsRuntimeTest, FieldsShareOneRead) {
  auto writer = Make(Options());
  ASSERT_THAT(
      writer->Put("database", SecretValue(R"({"password":"pw","user":"app"})"), Stage::kCurrent),
      IsOk());
  auto manager = Manager(Make(Options()));
  ResetStats();
  auto password = manager->Get("database#password");
  ASSERT_THAT(password, IsOk());
  EXPECT_TRUE(password->Equals("pw"));
  auto user = manager->Get("database#user");
  ASSERT_THAT(user, IsOk());
  EXPECT_TRUE(user->Equals("app"));
  auto whole = manager->Get("database");
  ASSERT_THAT(whole, IsOk());
  EXPECT_TRUE(whole->Equals(R"({"password":"pw","user":"app"})"));
  EXPECT_THAT(manager->Get("database#missing"), HasError(ErrorCode::kNotFound));
  EXPECT_EQ(Gets(), 1);
}

// Rotating a secret that does not exist yet creates it as current (a pending first version is
// refused: AWS would make it current anyway), and a cached miss is forgotten.
TEST_F(AwsRuntimeTest, RotatingANewSecretCreatesItAsCurrent) {
  auto manager = Manager(Make(Options()));
  EXPECT_THAT(manager->Get("fresh"), HasError(ErrorCode::kNotFound));
  auto rotated = manager->Rotate("fresh", 16);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_THAT(rotated->stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(server_.OpCount("CreateSecret"), 1);
  auto described = manager->Describe("fresh");
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->versions.size(), 1u);
  EXPECT_THAT(described->versions[0].stages, ElementsAre(Stage::kCurrent));
  EXPECT_THAT(manager->Get("fresh"), IsOk());
}

}  // namespace
}  // namespace locksmith
