// SingleFlight: concurrent fetches of one key make one back-end call; the others wait for its
// outcome and get a copy.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "locksmith/provider.h"
#include "locksmith/result.h"

namespace locksmith::internal {

struct FetchOutcome {
  Result<Secret> result = Error{ErrorCode::kInternal, "not fetched"};
  // The circuit breaker refused the call (no provider call was made).
  bool breaker_rejected = false;
  // The stored version differs from the one cached before; set only in the leader's copy, so
  // exactly one caller notifies subscribers.
  bool version_changed = false;

  // A copy for a waiter (version_changed is not copied).
  FetchOutcome CopyForWaiter() const;
};

// Thread-safe.
class SingleFlight {
 public:
  // Runs `fetch` for `key` unless a fetch of `key` is in flight. With join_existing, a caller
  // that finds one in flight waits and returns a copy of its outcome; without, it waits for it
  // to finish and then runs its own fetch (for Refresh: a fetch that started earlier may predate
  // the change the caller wants to see).
  FetchOutcome Do(const std::string& key, bool join_existing,
                  const std::function<FetchOutcome()>& fetch);

  // How many callers are waiting for another's fetch right now.
  std::size_t WaitersForTest() const;

 private:
  struct Flight {
    bool done = false;
    std::optional<FetchOutcome> outcome;
  };

  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  std::size_t waiters_ = 0;
};

}  // namespace locksmith::internal
