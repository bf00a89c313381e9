// KeySet and KeySetHolder on their own: lookup by key id, fixed holders, loading through a
// SecretsManager, rotation by subscription, and keeping the old set when a build fails.
#include "keys/key_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keys/key_test_util.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "support/log_capture.h"
#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using ::testing::ElementsAre;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;

struct TestKey {
  std::string version_id;
  std::string value;  // not secret here: the test reads it back
  std::string_view id() const { return version_id; }
};
using TestSet = KeySet<TestKey>;

std::shared_ptr<const TestSet> MakeSet(std::vector<std::string> ids) {
  auto set = std::make_shared<TestSet>();
  for (std::string& id : ids) {
    set->keys.push_back({std::move(id), ""});
  }
  return set;
}

std::vector<std::string> Ids(const TestSet& set) {
  std::vector<std::string> ids;
  for (const TestKey& k : set.keys) {
    ids.push_back(k.version_id);
  }
  return ids;
}

TEST(KeySetTest, PrimaryFirstAndFindById) {
  auto set = MakeSet({"v3", "v2", "v1"});
  EXPECT_EQ(set->primary().version_id, "v3");
  ASSERT_NE(set->Find("v2"), nullptr);
  EXPECT_EQ(set->Find("v2"), &set->keys[1]);
  EXPECT_EQ(set->Find("v4"), nullptr);
  EXPECT_EQ(set->Find(""), nullptr);
}

TEST(KeySetTest, VersionsInOrder) {
  KeyVersions versions;
  versions.current.version.version_id = "v3";
  versions.extra.resize(1);
  versions.extra[0].version.version_id = "v1";
  std::vector<Secret> ordered = VersionsInOrder(std::move(versions));
  ASSERT_EQ(ordered.size(), 2u);
  EXPECT_EQ(ordered[0].version.version_id, "v3");
  EXPECT_EQ(ordered[1].version.version_id, "v1");
}

class KeySetHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(store_.Put("signing-key", SecretValue("one-PLANTED"), Stage::kCurrent), IsOk());
    manager_ = locksmith::testing::MakeManager(store_, clock_, random_);
    ASSERT_NE(manager_, nullptr);
  }
  void TearDown() override { EXPECT_THAT(logs_.Text(), ::testing::Not(HasSubstr("PLANTED"))); }

  void Rotate(const std::string& value) {
    ASSERT_THAT(store_.Put("signing-key", SecretValue(value), Stage::kCurrent), IsOk());
    ASSERT_THAT(manager_->Refresh("signing-key"), IsOk());
  }

  // A holder whose sets hold the versions' values; a value starting with "bad" fails the build.
  std::unique_ptr<KeySetHolder<TestKey>> MakeHolder(SecretsManager* manager,
                                                    std::vector<std::string> extra = {}) {
    return std::make_unique<KeySetHolder<TestKey>>(
        manager, "signing-key", "test key ring", std::move(extra),
        [this](std::vector<Secret> versions) -> Result<std::shared_ptr<const TestSet>> {
          ++builds_;
          auto set = std::make_shared<TestSet>();
          for (Secret& s : versions) {
            if (s.value.RevealUnsafe().starts_with("bad")) {
              return MakeError(ErrorCode::kInvalidArgument,
                               "version " + s.version.version_id + " is not a key");
            }
            set->keys.push_back({s.version.version_id, std::string(s.value.RevealUnsafe())});
          }
          return std::shared_ptr<const TestSet>(std::move(set));
        },
        [](const TestSet& set) { return "primary " + set.primary().version_id; });
  }

  locksmith::testing::LogCapture logs_;
  locksmith::testing::FakeClock clock_;
  locksmith::testing::FakeRandom random_;
  locksmith::testing::InMemoryProvider store_{clock_};
  std::unique_ptr<SecretsManager> manager_;
  int builds_ = 0;
};

TEST_F(KeySetHolderTest, FixedHolderKeepsItsSetAndCannotReload) {
  auto holder = MakeHolder(nullptr);
  holder->Install(MakeSet({"a", "b"}));
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("a", "b"));
  EXPECT_THAT(holder->Reload(), HasErrorMessage(ErrorCode::kFailedPrecondition, "fixed keys"));
  EXPECT_EQ(holder->name(), "signing-key");
  EXPECT_EQ(builds_, 0);
}

TEST_F(KeySetHolderTest, StartLoadsAndSubscriptionFollowsRotations) {
  auto holder = MakeHolder(manager_.get());
  ASSERT_THAT(holder->Start(), IsOk());
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("v1"));
  EXPECT_THAT(logs_.Text(), HasSubstr("test key ring 'signing-key': primary v1"));

  const std::shared_ptr<const TestSet> before = holder->Snapshot();
  Rotate("two-PLANTED");
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("v2", "v1"));
  EXPECT_EQ(holder->Snapshot()->primary().value, "two-PLANTED");
  EXPECT_THAT(Ids(*before), ElementsAre("v1"));  // a reader's snapshot does not change
}

TEST_F(KeySetHolderTest, ExtraVersionsComeLast) {
  Rotate("two-PLANTED");
  Rotate("three-PLANTED");
  auto holder = MakeHolder(manager_.get(), {"v1"});
  ASSERT_THAT(holder->Start(), IsOk());
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("v3", "v2", "v1"));
}

TEST_F(KeySetHolderTest, FailedBuildKeepsThePreviousSet) {
  auto holder = MakeHolder(manager_.get());
  ASSERT_THAT(holder->Start(), IsOk());
  Rotate("bad-PLANTED");
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("v1"));
  EXPECT_THAT(logs_.Text(), HasSubstr("test key ring 'signing-key': reload failed"));
  EXPECT_THAT(logs_.Text(), HasSubstr("keeping the previous keys"));
  EXPECT_THAT(holder->Reload(), testing::HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Ids(*holder->Snapshot()), ElementsAre("v1"));
}

TEST_F(KeySetHolderTest, LoadErrorsFailStart) {
  store_.Fail(ErrorCode::kPermissionDenied);
  auto holder = MakeHolder(manager_.get());
  EXPECT_THAT(holder->Start(), testing::HasError(ErrorCode::kPermissionDenied));
  EXPECT_EQ(builds_, 0);
}

TEST_F(KeySetHolderTest, DestroyingTheHolderUnsubscribes) {
  auto holder = MakeHolder(manager_.get());
  ASSERT_THAT(holder->Start(), IsOk());
  const int builds = builds_;
  holder.reset();
  Rotate("two-PLANTED");  // would touch freed memory if still subscribed
  EXPECT_EQ(builds_, builds);
}

}  // namespace
}  // namespace locksmith::internal
