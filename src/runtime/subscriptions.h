// SubscriberRegistry: who wants to hear about version changes of which reference. Handles
// unsubscribe on destruction and wait for a callback running on another thread; destroying a
// handle from inside its own callback is allowed (it does not wait for itself).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

// Thread-safe.
class SubscriberRegistry : public std::enable_shared_from_this<SubscriberRegistry> {
 public:
  static std::shared_ptr<SubscriberRegistry> Make() {
    return std::shared_ptr<SubscriberRegistry>(new SubscriberRegistry());
  }

  SubscriptionPtr Add(std::string ref, UpdateCallback callback);
  // Calls every live subscriber of `ref`, on this thread. Call with no lock held.
  void Notify(const std::string& ref, const VersionInfo& version, const SecretValue& value);
  // References with at least one subscriber.
  std::vector<std::string> Refs() const;

 private:
  struct State {
    std::string ref;
    UpdateCallback callback;
    std::mutex mu;
    std::condition_variable idle_cv;
    bool active = true;  // guarded by mu
    int running = 0;     // callbacks running now, guarded by mu
  };
  class Handle;

  SubscriberRegistry() = default;
  void Remove(const std::shared_ptr<State>& state);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<State>>> by_ref_;
};

}  // namespace locksmith::internal
