#include "runtime/subscriptions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "locksmith/log.h"

namespace locksmith::internal {
namespace {

// The subscription states whose callbacks this thread is running (innermost last).
thread_local std::vector<const void*> tls_running_callbacks;

int RunningOnThisThread(const void* state) {
  return static_cast<int>(
      std::count(tls_running_callbacks.begin(), tls_running_callbacks.end(), state));
}

}  // namespace

class SubscriberRegistry::Handle final : public Subscription {
 public:
  Handle(std::shared_ptr<SubscriberRegistry> registry, std::shared_ptr<State> state)
      : registry_(std::move(registry)), state_(std::move(state)) {}

  ~Handle() override {
    registry_->Remove(state_);
    std::unique_lock lock(state_->mu);
    state_->active = false;
    // Wait for callbacks on other threads, but not for one this thread is inside of.
    const int own = RunningOnThisThread(state_.get());
    state_->idle_cv.wait(lock, [&] { return state_->running <= own; });
  }

 private:
  std::shared_ptr<SubscriberRegistry> registry_;
  std::shared_ptr<State> state_;
};

SubscriptionPtr SubscriberRegistry::Add(std::string ref, UpdateCallback callback) {
  auto state = std::make_shared<State>();
  state->ref = std::move(ref);
  state->callback = std::move(callback);
  {
    std::lock_guard lock(mu_);
    by_ref_[state->ref].push_back(state);
  }
  return std::make_unique<Handle>(shared_from_this(), std::move(state));
}

void SubscriberRegistry::Remove(const std::shared_ptr<State>& state) {
  std::lock_guard lock(mu_);
  auto it = by_ref_.find(state->ref);
  if (it == by_ref_.end()) {
    return;
  }
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), state), list.end());
  if (list.empty()) {
    by_ref_.erase(it);
  }
}

void SubscriberRegistry::Notify(const std::string& ref, const VersionInfo& version,
                                const SecretValue& value) {
  std::vector<std::shared_ptr<State>> targets;
  {
    std::lock_guard lock(mu_);
    auto it = by_ref_.find(ref);
    if (it == by_ref_.end()) {
      return;
    }
    targets = it->second;
  }
  const SecretUpdate update{ref, version, value};
  for (const auto& state : targets) {
    {
      std::lock_guard lock(state->mu);
      if (!state->active) {
        continue;
      }
      ++state->running;
    }
    tls_running_callbacks.push_back(state.get());
    try {
      state->callback(update);
    } catch (const std::exception& e) {
      Logger()->error("subscriber callback for '{}' threw: {}", ref, e.what());
    } catch (...) {
      Logger()->error("subscriber callback for '{}' threw", ref);
    }
    tls_running_callbacks.pop_back();
    {
      std::lock_guard lock(state->mu);
      --state->running;
    }
    state->idle_cv.notify_all();
  }
}

std::vector<std::string> SubscriberRegistry::Refs() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> refs;
  refs.reserve(by_ref_.size());
  for (const auto& [ref, list] : by_ref_) {
    refs.push_back(ref);
  }
  return refs;
}

}  // namespace locksmith::internal
