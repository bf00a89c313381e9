// RefreshingCredentials: what a credential source found, cached and fetched again before
// temporary credentials expire (time from the injected Clock).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "locksmith/clock.h"
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// Caches credentials; Get() fetches again when none are held, when Invalidate() was called, or
// when they expire within `refresh_window`. If a refresh fails while the held credentials are
// still valid they are kept (logged at warn). Thread-safe.
class RefreshingCredentials {
 public:
  RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                        std::chrono::seconds refresh_window);
  Result<AwsCredentials> Get();
  void Invalidate();
  int fetch_count() const;

 private:
  const AwsCredentialSourcePtr source_;
  Clock& clock_;
  const std::chrono::seconds refresh_window_;
  mutable std::mutex mu_;
  std::optional<AwsCredentials> held_;
  int fetches_ = 0;
};

}  // namespace locksmith::internal
