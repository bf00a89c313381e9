// RotateCredential over a real SecretsManager (an InMemoryProvider with AWS-like stages) and a
// fake server that accepts, per user, the passwords it was given: the four steps, a stop before
// every step followed by a rerun that finishes with the same password, a failed test, the
// retire wait on a fake clock, bad secrets, and no password in any error.
#include "locksmith/credential_rotation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr char kOldPassword[] = "old-pw-PLANTED-91c2";

// Accepts, per user, the set of passwords Set gave it. `keeps_previous`: the server holds several
// passwords per user (Redis), so the previous one must be retired; otherwise (a single
// PostgreSQL role) Set replaces the user's password.
class FakeCredentialServer : public CredentialServer {
 public:
  explicit FakeCredentialServer(bool keeps_previous, bool alternating = false)
      : keeps_previous_(keeps_previous), alternating_(alternating) {}

  std::string_view Kind() const override { return "fake"; }

  Result<std::string> NextUsername(const Credential& current) override {
    if (!alternating_) {
      return current.username;
    }
    const std::string suffix = "_clone";
    const std::string& u = current.username;
    if (u.size() > suffix.size() &&
        u.compare(u.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return u.substr(0, u.size() - suffix.size());
    }
    return u + suffix;
  }

  Result<void> Set(const Credential& current, const Credential& pending) override {
    calls.push_back("set " + pending.username);
    if (!keeps_previous_ && !alternating_) {
      valid[pending.username].clear();
    }
    (void)current;
    valid[pending.username].insert(std::string(pending.password.RevealUnsafe()));
    return OkResult();
  }

  Result<void> Test(const Credential& pending) override {
    calls.push_back("test " + pending.username);
    if (refuse_tests || !Accepts(pending.username, pending.password.RevealUnsafe())) {
      return MakeError(ErrorCode::kUnauthenticated, "fake: login refused for " + pending.username);
    }
    return OkResult();
  }

  Result<bool> PreviousStillValid(const Credential& previous, const Credential& current) override {
    if (!keeps_previous_) {
      return false;
    }
    return previous.password.RevealUnsafe() != current.password.RevealUnsafe() &&
           Accepts(previous.username, previous.password.RevealUnsafe());
  }

  Result<void> RetirePrevious(const Credential& previous, const Credential& current) override {
    calls.push_back("retire " + previous.username);
    (void)current;
    valid[previous.username].erase(std::string(previous.password.RevealUnsafe()));
    return OkResult();
  }

  bool Accepts(const std::string& user, std::string_view password) const {
    auto it = valid.find(user);
    return it != valid.end() && it->second.count(std::string(password)) > 0;
  }

  std::map<std::string, std::set<std::string>> valid;
  std::vector<std::string> calls;
  bool refuse_tests = false;

 private:
  bool keeps_previous_;
  bool alternating_;
};

class CredentialRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<testing::InMemoryProvider>(clock_);
    provider_ = provider.get();
    Dependencies deps;
    deps.clock = &clock_;
    deps.random = &random_;
    auto manager = SecretsManager::Create(std::move(provider), std::move(deps));
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();
  }

  void Store(const std::string& value) {
    ASSERT_THAT(manager_->Put("database-password", SecretValue(value)), IsOk());
  }

  std::string Value(Stage stage) {
    auto secret = manager_->RefreshVersion("database-password", VersionSelector::AtStage(stage));
    return secret.ok() ? std::string(secret->value.RevealUnsafe())
                       : "<" + secret.error().message + ">";
  }

  Result<CredentialRotationReport> Rotate(CredentialServer& server,
                                          CredentialRotationOptions options = {}) {
    auto report =
        RotateCredential(*manager_, "database-password", server, random_, clock_, options);
    if (!report.ok()) {
      errors_.push_back(report.error().message);
    }
    return report;
  }

  // The password of the JSON credential `value` (the tests' own tiny reader).
  static std::string PasswordOf(const std::string& value) {
    const std::string key = "\"password\":\"";
    const auto at = value.find(key);
    return at == std::string::npos
               ? ""
               : value.substr(at + key.size(), value.find('"', at + key.size()) - at - key.size());
  }

  void TearDown() override {
    for (const std::string& e : errors_) {
      EXPECT_THAT(e, Not(HasSubstr(kOldPassword)));
      const std::string current = PasswordOf(Value(Stage::kCurrent));
      if (!current.empty()) {
        EXPECT_THAT(e, Not(HasSubstr(current)));
      }
    }
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::InMemoryProvider* provider_ = nullptr;
  SecretsManagerPtr manager_;
  std::vector<std::string> errors_;
};

const char* const kJsonSecret =
    R"({"dbname":"app","host":"db.internal","password":"old-pw-PLANTED-91c2","port":5432,"username":"app"})";

TEST_F(CredentialRotationTest, CreateSetTestFinishKeepsTheOtherFieldsAndMakesTheOldPrevious) {
  Store(kJsonSecret);
  FakeCredentialServer server(/*keeps_previous=*/false);
  server.valid["app"].insert(kOldPassword);
  auto report = Rotate(server);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->resumed);
  EXPECT_THAT(report->steps, ElementsAre(RotationStep::kCreate, RotationStep::kSet,
                                         RotationStep::kTest, RotationStep::kFinish));
  EXPECT_THAT(server.calls, ElementsAre("set app", "test app"));
  const std::string current = Value(Stage::kCurrent);
  const std::string password = PasswordOf(current);
  EXPECT_EQ(password.size(), 43u);  // 32 random bytes, base64url without padding
  EXPECT_NE(password, kOldPassword);
  EXPECT_THAT(current, HasSubstr(R"("host":"db.internal")"));
  EXPECT_THAT(current, HasSubstr(R"("port":5432)"));
  EXPECT_THAT(current, HasSubstr(R"("username":"app")"));
  EXPECT_EQ(Value(Stage::kPrevious), kJsonSecret);
  EXPECT_TRUE(server.Accepts("app", password));
  EXPECT_FALSE(server.Accepts("app", kOldPassword));
  EXPECT_EQ(report->username, "app");
  EXPECT_THAT(Value(Stage::kPending), HasSubstr("<"));  // nothing left pending
}

TEST_F(CredentialRotationTest, ABarePasswordTakesItsUserFromTheOptions) {
  Store(kOldPassword);
  FakeCredentialServer server(false);
  CredentialRotationOptions options;
  options.username = "app";
  auto report = Rotate(server, options);
  ASSERT_THAT(report, IsOk());
  const std::string current = Value(Stage::kCurrent);
  EXPECT_EQ(current.size(), 43u);
  EXPECT_TRUE(server.Accepts("app", current));
  // Without a user the rotation cannot say whose password changes.
  Store(kOldPassword);
  auto no_user = Rotate(server);
  EXPECT_THAT(no_user, HasError(ErrorCode::kInvalidArgument));
}

// A crash (a stop) before each step, then a rerun: it finishes the same rotation with the
// password the first run staged, and does not start another.
TEST_F(CredentialRotationTest, AStopBeforeAnyStepIsFinishedByTheNextRunWithTheSamePassword) {
  for (const RotationStep stop_at :
       {RotationStep::kSet, RotationStep::kTest, RotationStep::kFinish}) {
    SCOPED_TRACE(std::string(RotationStepName(stop_at)));
    Store(kJsonSecret);
    FakeCredentialServer server(false);
    CredentialRotationOptions crashing;
    crashing.before_step = [&](RotationStep step) { return step != stop_at; };
    auto first = Rotate(server, crashing);
    ASSERT_THAT(first, HasError(ErrorCode::kAborted));
    EXPECT_THAT(first.error().message, HasSubstr(std::string(RotationStepName(stop_at))));
    EXPECT_EQ(Value(Stage::kCurrent), kJsonSecret);  // nothing promoted yet
    const std::string staged = PasswordOf(Value(Stage::kPending));
    ASSERT_FALSE(staged.empty());

    auto rerun = Rotate(server);
    ASSERT_THAT(rerun, IsOk());
    EXPECT_TRUE(rerun->resumed);
    EXPECT_THAT(rerun->steps,
                ElementsAre(RotationStep::kSet, RotationStep::kTest, RotationStep::kFinish));
    EXPECT_EQ(PasswordOf(Value(Stage::kCurrent)), staged);
    EXPECT_TRUE(server.Accepts("app", staged));
    EXPECT_EQ(Value(Stage::kPrevious), kJsonSecret);
  }
}

TEST_F(CredentialRotationTest, AFailedTestLeavesThePendingVersionAndARerunFinishesIt) {
  Store(kJsonSecret);
  FakeCredentialServer server(false);
  server.refuse_tests = true;
  auto failed = Rotate(server);
  EXPECT_THAT(failed, HasError(ErrorCode::kUnauthenticated));
  EXPECT_EQ(Value(Stage::kCurrent), kJsonSecret);
  const std::string staged = PasswordOf(Value(Stage::kPending));
  ASSERT_FALSE(staged.empty());
  server.refuse_tests = false;
  auto rerun = Rotate(server);
  ASSERT_THAT(rerun, IsOk());
  EXPECT_TRUE(rerun->resumed);
  EXPECT_EQ(PasswordOf(Value(Stage::kCurrent)), staged);
}

// A server holding both passwords (Redis): the old one is retired once retire_after has passed
// since the promotion, measured on the clock; not waiting leaves it for a later run, which only
// retires (and waits only what is left).
TEST_F(CredentialRotationTest, ThePreviousPasswordIsRetiredAfterTheWaitAndALaterRunFinishesIt) {
  Store(kJsonSecret);
  FakeCredentialServer server(/*keeps_previous=*/true);
  server.valid["app"].insert(kOldPassword);
  std::vector<std::chrono::system_clock::time_point> waits;
  CredentialRotationOptions told;
  told.before_retire_wait = [&](std::chrono::system_clock::time_point at) { waits.push_back(at); };
  const auto started = clock_.WallNow();
  auto report = Rotate(server, told);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->steps.back(), RotationStep::kRetire);
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(std::chrono::minutes(6)));
  EXPECT_THAT(waits, ElementsAre(started + std::chrono::minutes(6)));  // told before the wait
  EXPECT_FALSE(server.Accepts("app", kOldPassword));
  const std::string first = PasswordOf(Value(Stage::kCurrent));
  EXPECT_TRUE(server.Accepts("app", first));

  CredentialRotationOptions no_wait;
  no_wait.wait_to_retire = false;
  auto second = Rotate(server, no_wait);
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(second->retire_at, std::chrono::system_clock::time_point{});
  EXPECT_TRUE(server.Accepts("app", first));  // both valid until retired
  const std::string second_password = PasswordOf(Value(Stage::kCurrent));
  EXPECT_TRUE(server.Accepts("app", second_password));

  clock_.Advance(std::chrono::minutes(2));
  auto later = Rotate(server);
  ASSERT_THAT(later, IsOk());
  EXPECT_TRUE(later->resumed);
  EXPECT_THAT(later->steps, ElementsAre(RotationStep::kRetire));
  EXPECT_EQ(clock_.Sleeps().back(), std::chrono::minutes(4));
  EXPECT_FALSE(server.Accepts("app", first));
  EXPECT_EQ(PasswordOf(Value(Stage::kCurrent)), second_password);  // no new rotation
}

TEST_F(CredentialRotationTest, AlternatingUsersSwitchTheUserAndNeedAJsonSecret) {
  Store(kJsonSecret);
  FakeCredentialServer server(false, /*alternating=*/true);
  server.valid["app"].insert(kOldPassword);
  ASSERT_THAT(Rotate(server), IsOk());
  EXPECT_THAT(Value(Stage::kCurrent), HasSubstr(R"("username":"app_clone")"));
  EXPECT_TRUE(server.Accepts("app", kOldPassword));  // the old user keeps working
  ASSERT_THAT(Rotate(server), IsOk());
  EXPECT_THAT(Value(Stage::kCurrent), HasSubstr(R"("username":"app")"));

  Store(kOldPassword);
  CredentialRotationOptions options;
  options.username = "app";
  auto bare = Rotate(server, options);
  EXPECT_THAT(bare, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bare.error().message, HasSubstr("JSON"));
}

TEST_F(CredentialRotationTest, BadSecretsAndBackEndsAreClearErrors) {
  FakeCredentialServer server(false);
  EXPECT_THAT(Rotate(server), HasError(ErrorCode::kNotFound));  // no such secret
  Store(R"({"username":"app","pass":"old-pw-PLANTED-91c2"})");
  auto no_password = Rotate(server);
  EXPECT_THAT(no_password, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_password.error().message, HasSubstr("\"password\""));
  EXPECT_THAT(RotateCredential(*manager_, "database-password#password", server, random_, clock_),
              HasError(ErrorCode::kInvalidArgument));

  Store(kJsonSecret);
  provider_->DisablePending();
  auto no_pending = Rotate(server);
  EXPECT_THAT(no_pending, HasError(ErrorCode::kUnimplemented));
  EXPECT_EQ(Value(Stage::kCurrent), kJsonSecret);
  EXPECT_TRUE(server.calls.empty());  // nothing was set on the server
}

}  // namespace
}  // namespace locksmith
