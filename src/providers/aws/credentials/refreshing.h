// RefreshingCredentials: what a credential source found, cached and fetched again before
// temporary credentials expire, with botocore's two refresh times (time from the injected Clock).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "locksmith/clock.h"
#include "providers/aws/credentials/source.h"

namespace locksmith::internal {

// botocore's RefreshableCredentials: _advisory_refresh_timeout and _mandatory_refresh_timeout.
struct CredentialRefreshTimes {
  std::chrono::seconds advisory = std::chrono::minutes(15);
  std::chrono::seconds mandatory = std::chrono::minutes(10);
};

// Caches credentials. Get() returns the held ones while they expire more than `advisory` from
// now (or never). Within `advisory` it tries one refresh per call (a caller that finds another
// refresh under way uses the held ones without waiting); a failure keeps the held credentials
// (warned once per set). Within `mandatory`, with none held or after Invalidate(), the refresh
// must succeed: its error is returned even while the held credentials are still valid, as
// botocore does. A source's kNotFound becomes kUnauthenticated (credentials missing is not a
// secret missing), and refreshed credentials that are already expired are an error. Thread-safe.
class RefreshingCredentials {
 public:
  RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                        CredentialRefreshTimes times = {});
  Result<AwsCredentials> Get();
  void Invalidate();
  int fetch_count() const;

 private:
  enum class Need { kNone, kAdvisory, kMandatory };
  Need NeedLocked(std::chrono::system_clock::time_point now) const;
  Result<AwsCredentials> Refresh();

  const AwsCredentialSourcePtr source_;
  Clock& clock_;
  const CredentialRefreshTimes times_;
  std::mutex refresh_mu_;  // one refresh at a time; held across the source's Fetch()
  mutable std::mutex mu_;  // the fields below; never held across a Fetch()
  std::optional<AwsCredentials> held_;
  bool warned_ = false;  // an advisory failure was logged for the held credentials
  int fetches_ = 0;
};

}  // namespace locksmith::internal
