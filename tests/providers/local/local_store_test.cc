// Behaviour of the local store through the Provider interface: versions, stages, listing,
// rotation, reopening, concurrency.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "providers/local/local_store_test_util.h"

namespace locksmith::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class LocalStoreTest : public LocalStoreTestBase {};

TEST_F(LocalStoreTest, KindIsLocal) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Kind(), "local");
}

TEST_F(LocalStoreTest, PutThenGetCurrent) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto put = store->Put("db-password", SecretValue("hunter2-value"), Stage::kCurrent);
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->version_id.size(), 32u);
  EXPECT_THAT(put->stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(put->created, clock_.WallNow());

  auto got = store->Get("db-password", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->name, "db-password");
  EXPECT_TRUE(got->value.Equals("hunter2-value"));
  EXPECT_EQ(got->version.version_id, put->version_id);
  EXPECT_THAT(got->version.stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(got->version.created, clock_.WallNow());
}

TEST_F(LocalStoreTest, EmptyAndBinaryValuesRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("empty", SecretValue(""), Stage::kCurrent), IsOk());
  std::string binary("\0\x01\xff\n\0end", 8);
  ASSERT_THAT(store->Put("binary", SecretValue(binary), Stage::kCurrent), IsOk());
  auto empty = store->Get("empty", VersionSelector::Current());
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->value.empty());
  auto got = store->Get("binary", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals(binary));
}

TEST_F(LocalStoreTest, PutCurrentShiftsCurrentToPreviousAndDropsOldPrevious) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto v1 = store->Put("api-key", SecretValue("value-one"), Stage::kCurrent);
  clock_.Advance(std::chrono::seconds(10));
  auto v2 = store->Put("api-key", SecretValue("value-two"), Stage::kCurrent);
  clock_.Advance(std::chrono::seconds(10));
  auto v3 = store->Put("api-key", SecretValue("value-three"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  ASSERT_THAT(v2, IsOk());
  ASSERT_THAT(v3, IsOk());

  auto current = store->Get("api-key", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("value-three"));
  auto previous = store->Get("api-key", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("value-two"));
  EXPECT_EQ(previous->version.version_id, v2->version_id);
  EXPECT_THAT(previous->version.stages, ElementsAre(Stage::kPrevious));

  // v1 lost its label but is still readable by id.
  auto first = store->Get("api-key", VersionSelector::ById(v1->version_id));
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->value.Equals("value-one"));
  EXPECT_THAT(first->version.stages, IsEmpty());

  auto description = store->Describe("api-key");
  ASSERT_THAT(description, IsOk());
  EXPECT_EQ(description->name, "api-key");
  ASSERT_THAT(description->versions, SizeIs(3));
  EXPECT_EQ(description->versions[0].version_id, v3->version_id);
  EXPECT_THAT(description->versions[0].stages, ElementsAre(Stage::kCurrent));
  EXPECT_EQ(description->versions[1].version_id, v2->version_id);
  EXPECT_THAT(description->versions[1].stages, ElementsAre(Stage::kPrevious));
  EXPECT_EQ(description->versions[2].version_id, v1->version_id);
  EXPECT_THAT(description->versions[2].stages, IsEmpty());
  EXPECT_EQ(description->versions[2].created, v1->created);
  ASSERT_TRUE(description->last_rotated.has_value());
  EXPECT_EQ(*description->last_rotated, v3->created);
}

TEST_F(LocalStoreTest, DescribeSingleVersionHasNoLastRotated) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("solo", SecretValue("x"), Stage::kCurrent), IsOk());
  auto description = store->Describe("solo");
  ASSERT_THAT(description, IsOk());
  ASSERT_THAT(description->versions, SizeIs(1));
  EXPECT_FALSE(description->last_rotated.has_value());
}

TEST_F(LocalStoreTest, PendingThenPromote) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto v1 = store->Put("token", SecretValue("old-token"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  auto pending = store->Put("token", SecretValue("new-token"), Stage::kPending);
  ASSERT_THAT(pending, IsOk());
  EXPECT_THAT(pending->stages, ElementsAre(Stage::kPending));

  // Pending does not disturb current.
  auto current = store->Get("token", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("old-token"));
  auto staged = store->Get("token", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(staged, IsOk());
  EXPECT_TRUE(staged->value.Equals("new-token"));

  ASSERT_THAT(store->PromoteToCurrent("token", pending->version_id), IsOk());
  current = store->Get("token", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("new-token"));
  EXPECT_THAT(current->version.stages, ElementsAre(Stage::kCurrent));
  auto previous = store->Get("token", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_EQ(previous->version.version_id, v1->version_id);
  EXPECT_THAT(store->Get("token", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
}

TEST_F(LocalStoreTest, SecondPendingReplacesFirstPendingLabel) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto p1 = store->Put("k", SecretValue("pending-1"), Stage::kPending);
  auto p2 = store->Put("k", SecretValue("pending-2"), Stage::kPending);
  ASSERT_THAT(p1, IsOk());
  ASSERT_THAT(p2, IsOk());
  auto staged = store->Get("k", VersionSelector::AtStage(Stage::kPending));
  ASSERT_THAT(staged, IsOk());
  EXPECT_TRUE(staged->value.Equals("pending-2"));
  auto first = store->Get("k", VersionSelector::ById(p1->version_id));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->version.stages, IsEmpty());
  // A secret that only has a pending version has no current one.
  EXPECT_THAT(store->Get("k", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kNotFound, "has no current version"));
}

TEST_F(LocalStoreTest, PromoteCurrentIsNoOpAndPromotePreviousSwaps) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto v1 = store->Put("s", SecretValue("one"), Stage::kCurrent);
  auto v2 = store->Put("s", SecretValue("two"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  ASSERT_THAT(v2, IsOk());
  ASSERT_THAT(store->PromoteToCurrent("s", v2->version_id), IsOk());
  auto description = store->Describe("s");
  ASSERT_THAT(description, IsOk());
  EXPECT_THAT(description->versions[0].stages, ElementsAre(Stage::kCurrent));
  EXPECT_THAT(description->versions[1].stages, ElementsAre(Stage::kPrevious));

  // Rolling back: the previous version becomes current, the old current becomes previous.
  ASSERT_THAT(store->PromoteToCurrent("s", v1->version_id), IsOk());
  description = store->Describe("s");
  ASSERT_THAT(description, IsOk());
  EXPECT_THAT(description->versions[0].stages, ElementsAre(Stage::kPrevious));
  EXPECT_THAT(description->versions[1].stages, ElementsAre(Stage::kCurrent));
  auto current = store->Get("s", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.Equals("one"));
}

TEST_F(LocalStoreTest, PendingThenPromoteMakesFreshCurrent) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto v1 = store->Put("signing-key", SecretValue("initial"), Stage::kCurrent);
  ASSERT_THAT(v1, IsOk());
  clock_.Advance(std::chrono::hours(24));
  auto rotated = store->Put("signing-key", SecretValue("rotated-value"), Stage::kPending);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_THAT(rotated->stages, ElementsAre(Stage::kPending));
  ASSERT_THAT(store->PromoteToCurrent("signing-key", rotated->version_id), IsOk());

  auto current = store->Get("signing-key", VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->version.version_id, rotated->version_id);
  EXPECT_TRUE(current->value.Equals("rotated-value"));
  auto previous = store->Get("signing-key", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("initial"));
  EXPECT_THAT(store->Get("signing-key", VersionSelector::AtStage(Stage::kPending)),
              HasError(ErrorCode::kNotFound));
  auto description = store->Describe("signing-key");
  ASSERT_THAT(description, IsOk());
  ASSERT_TRUE(description->last_rotated.has_value());
  EXPECT_EQ(*description->last_rotated, clock_.WallNow());
}

TEST_F(LocalStoreTest, NotFoundCasesNameTheSecret) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Get("missing", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kNotFound, "secret 'missing' not found"));
  EXPECT_THAT(store->Describe("missing"),
              HasErrorMessage(ErrorCode::kNotFound, "secret 'missing' not found"));
  EXPECT_THAT(store->PromoteToCurrent("missing", "abc"),
              HasErrorMessage(ErrorCode::kNotFound, "secret 'missing' not found"));

  ASSERT_THAT(store->Put("present", SecretValue("planted-notfound-value"), Stage::kCurrent),
              IsOk());
  auto no_version = store->Get("present", VersionSelector::ById("0123456789abcdef"));
  EXPECT_THAT(no_version, HasErrorMessage(ErrorCode::kNotFound, "no version '0123456789abcdef'"));
  EXPECT_THAT(no_version.error().message, Not(HasSubstr("planted-notfound-value")));
  EXPECT_THAT(store->Get("present", VersionSelector::AtStage(Stage::kPrevious)),
              HasErrorMessage(ErrorCode::kNotFound, "'present' has no previous version"));
  EXPECT_THAT(store->Get("present", VersionSelector::AtStage(Stage::kPending)),
              HasErrorMessage(ErrorCode::kNotFound, "has no pending version"));
  EXPECT_THAT(store->PromoteToCurrent("present", "nope"),
              HasErrorMessage(ErrorCode::kNotFound, "no version 'nope'"));
}

TEST_F(LocalStoreTest, VersionIdOfAnotherSecretIsNotFound) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto a = store->Put("a", SecretValue("value-a"), Stage::kCurrent);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(store->Put("b", SecretValue("value-b"), Stage::kCurrent), IsOk());
  EXPECT_THAT(store->Get("b", VersionSelector::ById(a->version_id)),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(store->PromoteToCurrent("b", a->version_id), HasError(ErrorCode::kNotFound));
}

TEST_F(LocalStoreTest, InvalidNamesAreRejected) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (std::string_view bad : {"", "/leading", "trailing/", "a//b", "sp ace", "a/../b"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(store->Put(bad, SecretValue("v"), Stage::kCurrent),
                HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(store->Get(bad, VersionSelector::Current()), HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(store->Describe(bad), HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(store->PromoteToCurrent(bad, "x"), HasError(ErrorCode::kInvalidArgument));
  }
  auto names = store->List("");
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(*names, IsEmpty());
}

TEST_F(LocalStoreTest, PutAsPreviousAndOversizedValuesAreRejected) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Put("x", SecretValue("v"), Stage::kPrevious),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store->Put("x", SecretValue(std::string(64 * 1024 + 1, 'z')), Stage::kCurrent),
              HasErrorMessage(ErrorCode::kInvalidArgument, "65536"));
  EXPECT_THAT(store->Put("x", SecretValue(std::string(64 * 1024, 'z')), Stage::kCurrent), IsOk());
}

TEST_F(LocalStoreTest, RandomFailureFailsThePutAndStoresNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  random_.FailFill(true);
  EXPECT_THAT(store->Put("x", SecretValue("v"), Stage::kCurrent), HasError(ErrorCode::kInternal));
  random_.FailFill(false);
  EXPECT_THAT(store->Describe("x"), HasError(ErrorCode::kNotFound));
}

TEST_F(LocalStoreTest, ListIsSortedAndFiltersByPrefix) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (const char* name : {"rpc/zeta", "db-password", "rpc/alchemy-api-key", "api", "rpcx"}) {
    ASSERT_THAT(store->Put(name, SecretValue("v"), Stage::kCurrent), IsOk());
  }
  ASSERT_THAT(store->Put("api", SecretValue("v2"), Stage::kCurrent), IsOk());
  auto all = store->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, ElementsAre("api", "db-password", "rpc/alchemy-api-key", "rpc/zeta", "rpcx"));
  auto rpc = store->List("rpc/");
  ASSERT_THAT(rpc, IsOk());
  EXPECT_THAT(*rpc, ElementsAre("rpc/alchemy-api-key", "rpc/zeta"));
  auto none = store->List("zzz");
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(LocalStoreTest, SecondInstanceReadsWhatTheFirstWrote) {
  std::string version_id;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Put("persisted", SecretValue("first"), Stage::kCurrent), IsOk());
    auto v2 = store->Put("persisted", SecretValue("second"), Stage::kCurrent);
    ASSERT_THAT(v2, IsOk());
    version_id = v2->version_id;
    // A second instance open at the same time sees committed writes immediately.
    auto other = Open();
    ASSERT_NE(other, nullptr);
    auto got = other->Get("persisted", VersionSelector::Current());
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.Equals("second"));
  }
  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  auto got = reopened->Get("persisted", VersionSelector::ById(version_id));
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("second"));
  EXPECT_THAT(got->version.stages, ElementsAre(Stage::kCurrent));
  auto previous = reopened->Get("persisted", VersionSelector::AtStage(Stage::kPrevious));
  ASSERT_THAT(previous, IsOk());
  EXPECT_TRUE(previous->value.Equals("first"));
  auto names = reopened->List("");
  ASSERT_THAT(names, IsOk());
  EXPECT_THAT(*names, ElementsAre("persisted"));
}

TEST_F(LocalStoreTest, CreatesPrivateDirectoriesAndFiles) {
  LocalStoreOptions options = KeyOptions();
  options.store_path = dir_.path() / "a" / "b" / "secrets.db";
  auto store = Create(std::move(options));
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Put("x", SecretValue("v"), Stage::kCurrent), IsOk());
  for (const auto& dir : {dir_.path() / "a", dir_.path() / "a" / "b"}) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << dir;
  }
  for (const char* file : {"secrets.db", "secrets.db-wal"}) {
    struct stat st {};
    auto path = dir_.path() / "a" / "b" / file;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
}

TEST_F(LocalStoreTest, ParentThatIsAFileIsAnError) {
  std::ofstream(dir_.path() / "plain-file") << "x";
  LocalStoreOptions options = KeyOptions();
  options.store_path = dir_.path() / "plain-file" / "secrets.db";
  EXPECT_THAT(Create(std::move(options)), HasError(ErrorCode::kFailedPrecondition));
}

TEST_F(LocalStoreTest, MissingStorePathIsInvalid) {
  LocalStoreOptions options = KeyOptions();
  options.store_path.clear();
  EXPECT_THAT(Create(std::move(options)), HasError(ErrorCode::kInvalidArgument));
}

TEST_F(LocalStoreTest, ConcurrentWritersAndReaders) {
  // Two instances (two connections, as two processes would have) and several threads each.
  auto a = CreateLocalStoreProvider(KeyOptions(), clock_, SystemRandom());
  auto b = CreateLocalStoreProvider(KeyOptions(), clock_, SystemRandom());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  constexpr int kThreads = 4;
  constexpr int kPuts = 20;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    Provider& store = t % 2 == 0 ? **a : **b;
    threads.emplace_back([&store, &failures, t] {
      std::string name = "concurrent-" + std::to_string(t % 2);
      for (int i = 0; i < kPuts; ++i) {
        if (!store.Put(name, SecretValue("v" + std::to_string(i)), Stage::kCurrent).ok()) {
          ++failures[t];
        }
        if (!store.Get(name, VersionSelector::Current()).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(failures, ::testing::Each(0));
  for (const char* name : {"concurrent-0", "concurrent-1"}) {
    auto description = (*a)->Describe(name);
    ASSERT_THAT(description, IsOk());
    EXPECT_THAT(description->versions, SizeIs(2 * kPuts));
  }
}

TEST(DefaultLocalStorePathTest, UsesXdgDataHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg != nullptr ? old_xdg : "";
  std::string saved_home = old_home != nullptr ? old_home : "";

  ::setenv("XDG_DATA_HOME", "/xdg/data", 1);
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultLocalStorePath(), std::filesystem::path("/xdg/data/locksmith/secrets.db"));
  ::setenv("XDG_DATA_HOME", "relative/ignored", 1);
  EXPECT_EQ(DefaultLocalStorePath(),
            std::filesystem::path("/home/someone/.local/share/locksmith/secrets.db"));
  ::unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(DefaultLocalStorePath(),
            std::filesystem::path("/home/someone/.local/share/locksmith/secrets.db"));

  if (old_xdg != nullptr) {
    ::setenv("XDG_DATA_HOME", saved_xdg.c_str(), 1);
  }
  if (old_home != nullptr) {
    ::setenv("HOME", saved_home.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
}

}  // namespace
}  // namespace locksmith::testing
