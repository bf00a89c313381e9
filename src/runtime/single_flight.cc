#include "runtime/single_flight.h"

#include "runtime/secret_cache.h"

namespace locksmith::internal {

FetchOutcome FetchOutcome::CopyForWaiter() const {
  FetchOutcome copy;
  if (result.ok()) {
    copy.result = CloneSecret(*result);
  } else {
    copy.result = result.error();
  }
  copy.breaker_rejected = breaker_rejected;
  return copy;
}

FetchOutcome SingleFlight::Do(const std::string& key, bool join_existing,
                              const std::function<FetchOutcome()>& fetch) {
  std::unique_lock lock(mu_);
  for (;;) {
    auto it = flights_.find(key);
    if (it == flights_.end()) {
      break;
    }
    std::shared_ptr<Flight> flight = it->second;
    ++waiters_;
    done_cv_.wait(lock, [&flight] { return flight->done; });
    --waiters_;
    if (join_existing) {
      return flight->outcome->CopyForWaiter();
    }
  }
  auto flight = std::make_shared<Flight>();
  flights_.emplace(key, flight);
  lock.unlock();

  FetchOutcome outcome = fetch();

  lock.lock();
  flight->outcome = outcome.CopyForWaiter();
  flight->done = true;
  flights_.erase(key);
  lock.unlock();
  done_cv_.notify_all();
  return outcome;
}

std::size_t SingleFlight::WaitersForTest() const {
  std::lock_guard lock(mu_);
  return waiters_;
}

}  // namespace locksmith::internal
