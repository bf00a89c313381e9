// locksmith::testing from an install: a manager over the in-memory provider with a fake clock, in
// one line, and the Result matchers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <locksmith/locksmith.h>
#include <locksmith/testing/fake_clock.h>
#include <locksmith/testing/in_memory_provider.h>
#include <locksmith/testing/matchers.h>

#include <memory>

namespace {

using locksmith::testing::IsOk;

TEST(InstalledTesting, OneLineManagerOverTheInMemoryProvider) {
  locksmith::testing::FakeClock clock;
  auto provider = std::make_unique<locksmith::testing::InMemoryProvider>(clock);
  ASSERT_THAT(provider->Put("jwt-secret", locksmith::SecretValue("v1"), locksmith::Stage::kCurrent),
              IsOk());
  auto secrets = locksmith::SecretsManager::Create(std::move(provider), {.clock = &clock});
  ASSERT_THAT(secrets, IsOk());
  auto value = (*secrets)->Get("jwt-secret");
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals("v1"));
}

}  // namespace
