// `locksmith status` with a provider that has status details (Provider::StatusDetails, as Vault):
// the facts are printed, a List denied by policy is not an outage, a details failure is shown.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using json = nlohmann::json;

// An in-memory provider with status details; List can be denied on its own.
class DetailedProvider : public testing::InMemoryProvider {
 public:
  explicit DetailedProvider(Clock& clock) : InMemoryProvider(clock, "vault") {}

  Result<StatusDetailList> StatusDetails() override {
    if (details_error) {
      return MakeError(*details_error, "vault: Vault is sealed");
    }
    return StatusDetailList{
        {"token ttl", "59m58s"}, {"token renewable", "yes"}, {"token policies", "default,reader"}};
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    if (list_denied) {
      return MakeError(ErrorCode::kPermissionDenied, "vault: permission denied listing");
    }
    return InMemoryProvider::List(prefix);
  }

  std::optional<ErrorCode> details_error;
  bool list_denied = false;
};

class StatusDetailsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<DetailedProvider>(clock_);
    provider_ = provider.get();
    ASSERT_THAT(provider_->Put("jwt-secret", SecretValue("planted-Vx1"), Stage::kCurrent), IsOk());
    SecretsManagerOptions options;
    options.background_refresh = false;
    options.retry.max_attempts = 1;
    auto manager = SecretsManager::Create(
        std::move(provider), {.options = options, .clock = &clock_, .random = &random_});
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  DetailedProvider* provider_ = nullptr;
  std::unique_ptr<SecretsManager> manager_;
};

TEST_F(StatusDetailsTest, PrintsTheProvidersFacts) {
  std::ostringstream out;
  ASSERT_THAT(StatusCommand(*manager_, false, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("backend:   vault"));
  EXPECT_THAT(out.str(), HasSubstr("reachable: yes (1 secrets)"));
  EXPECT_THAT(out.str(), HasSubstr("token ttl:       59m58s\n"));
  EXPECT_THAT(out.str(), HasSubstr("token renewable: yes\n"));
  EXPECT_THAT(out.str(), HasSubstr("token policies:  default,reader\n"));

  std::ostringstream as_json;
  ASSERT_THAT(StatusCommand(*manager_, true, as_json), IsOk());
  json doc = json::parse(as_json.str());
  EXPECT_EQ(doc["details"]["token ttl"], "59m58s");
  EXPECT_EQ(doc["details"]["token policies"], "default,reader");
  EXPECT_EQ(doc["secrets"], 1);
}

TEST_F(StatusDetailsTest, ListDeniedByPolicyIsStillReachable) {
  provider_->list_denied = true;
  std::ostringstream out;
  ASSERT_THAT(StatusCommand(*manager_, false, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("reachable: yes (listing denied by policy)"));
  std::ostringstream as_json;
  ASSERT_THAT(StatusCommand(*manager_, true, as_json), IsOk());
  json doc = json::parse(as_json.str());
  EXPECT_EQ(doc["reachable"], true);
  EXPECT_EQ(doc["list"], "denied by policy");
  EXPECT_TRUE(doc["secrets"].is_null());
}

TEST_F(StatusDetailsTest, ListDeniedAndDetailsFailingIsAFailure) {
  provider_->list_denied = true;
  provider_->details_error = ErrorCode::kUnauthenticated;
  std::ostringstream out;
  EXPECT_THAT(StatusCommand(*manager_, false, out), HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(out.str(), HasSubstr("reachable: no (PERMISSION_DENIED)"));
  EXPECT_THAT(out.str(), HasSubstr("details:   unavailable (UNAUTHENTICATED)"));
}

TEST_F(StatusDetailsTest, DetailsFailureIsShownAndTheProbeDecides) {
  provider_->details_error = ErrorCode::kUnavailable;
  std::ostringstream out;
  ASSERT_THAT(StatusCommand(*manager_, false, out), IsOk());  // List still works
  EXPECT_THAT(out.str(), HasSubstr("details:   unavailable (UNAVAILABLE)"));
  std::ostringstream as_json;
  ASSERT_THAT(StatusCommand(*manager_, true, as_json), IsOk());
  json doc = json::parse(as_json.str());
  EXPECT_EQ(doc["details_error"]["code"], "UNAVAILABLE");
  EXPECT_FALSE(doc.contains("details"));

  provider_->Fail(ErrorCode::kUnavailable);
  std::ostringstream down;
  EXPECT_THAT(StatusCommand(*manager_, false, down), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(down.str(), HasSubstr("reachable: no (UNAVAILABLE)"));
  EXPECT_THAT(down.str(), Not(HasSubstr("planted")));
}

}  // namespace
}  // namespace locksmith
