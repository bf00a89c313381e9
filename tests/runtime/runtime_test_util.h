// Shared fixture for SecretsManager tests: a MockProvider, FakeClock, FakeRandom (fraction 0, so
// entry TTLs are exactly `ttl`), real Metrics, background thread off.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "locksmith/metrics.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "mocks/mock_provider.h"
#include "runtime/secrets_manager_impl.h"

namespace locksmith::testing {

using namespace std::chrono_literals;

inline Secret MakeSecret(std::string name, std::string_view value, std::string version_id,
                         std::chrono::system_clock::time_point created = {}) {
  return Secret{std::move(name), VersionInfo{std::move(version_id), {Stage::kCurrent}, created},
                SecretValue(value)};
}

// Result<Secret> is move-only, so build it inside the action.
inline auto ReturnSecret(std::string value, std::string version_id) {
  return [value, version_id](std::string_view name, const VersionSelector&) -> Result<Secret> {
    return MakeSecret(std::string(name), value, version_id);
  };
}

inline auto ReturnError(ErrorCode code, std::string message = "back end said no") {
  return [code, message](std::string_view, const VersionSelector&) -> Result<Secret> {
    return MakeError(code, message);
  };
}

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() { random_.SetUniformFraction(0.0); }

  static SecretsManagerOptions DefaultOptions() {
    SecretsManagerOptions options;
    options.cache.ttl = 60s;
    options.cache.ttl_jitter = 0.1;
    options.cache.refresh_ahead = 0.8;
    options.cache.max_staleness = 10min;
    options.retry.max_attempts = 3;
    options.retry.base_delay = 100ms;
    options.retry.max_delay = 5s;
    options.breaker.failure_threshold = 3;
    options.breaker.open_duration = 30s;
    options.background_refresh = false;
    return options;
  }

  void Make(const SecretsManagerOptions& options = DefaultOptions()) {
    auto provider = std::make_unique<::testing::NiceMock<MockProvider>>();
    provider_ = provider.get();
    auto created = SecretsManager::Create(
        std::move(provider),
        {.options = options, .clock = &clock_, .random = &random_, .metrics = metrics_.get()});
    ASSERT_THAT(created, IsOk());
    manager_ = std::move(created).value();
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Metrics> metrics_ = Metrics::Create();
  ::testing::NiceMock<MockProvider>* provider_ = nullptr;  // owned by manager_
  std::unique_ptr<SecretsManager> manager_;
};

}  // namespace locksmith::testing
