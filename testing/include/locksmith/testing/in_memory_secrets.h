// InMemorySecrets: a SecretsManager over an InMemoryProvider, a FakeClock and a FakeRandom, for
// tests of code that reads secrets through locksmith:
//
//   locksmith::testing::InMemorySecrets secrets;
//   ASSERT_THAT(secrets.Seed("jwt-secret", "planted"), IsOk());
//   MyService service(secrets.manager());
//
// Background refresh is off (advance clock() and read again) and every call is tried once, so an
// injected failure (provider().Fail(code)) shows at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"

namespace locksmith::testing {

// Not thread-safe to construct; the manager it holds is thread-safe as always.
class InMemorySecrets {
 public:
  // Background refresh off, one try per back-end call.
  static SecretsManagerOptions DefaultOptions();

  // `kind` is what the provider reports as Provider::Kind() ("local", "vault", ...).
  explicit InMemorySecrets(std::string kind = "local",
                           const SecretsManagerOptions& options = DefaultOptions());

  // Stores `value` as the new current version of `name`, straight into the provider (the cache
  // sees it at the next read that misses).
  Result<VersionInfo> Seed(std::string_view name, std::string_view value);

  // Ok unless `options` were invalid; then manager() must not be used.
  Result<void> status() const;

  SecretsManager& manager() { return *manager_; }
  InMemoryProvider& provider() { return *provider_; }
  FakeClock& clock() { return clock_; }
  FakeRandom& random() { return random_; }

 private:
  FakeClock clock_;
  FakeRandom random_;
  InMemoryProvider* provider_ = nullptr;  // owned by manager_
  std::optional<Error> error_;
  SecretsManagerPtr manager_;
};

}  // namespace locksmith::testing
