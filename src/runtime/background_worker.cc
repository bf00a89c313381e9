#include "runtime/background_worker.h"

namespace locksmith::internal {

BackgroundWorker::BackgroundWorker(Task run, std::function<void()> tick,
                                   std::chrono::nanoseconds period, bool start_thread)
    : run_(std::move(run)), tick_(std::move(tick)), period_(period) {
  if (start_thread) {
    thread_ = std::thread([this] { Loop(); });
  }
}

BackgroundWorker::~BackgroundWorker() { Stop(); }

void BackgroundWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void BackgroundWorker::Enqueue(std::string key) {
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      return;
    }
    queue_.push_back(std::move(key));
  }
  cv_.notify_one();
}

bool BackgroundWorker::PopOne(std::string& key) {
  std::lock_guard lock(mu_);
  if (stop_ || queue_.empty()) {
    return false;
  }
  key = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void BackgroundWorker::RunQueued() {
  std::string key;
  while (PopOne(key)) {
    run_(key);
  }
}

void BackgroundWorker::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // The only real-time wait in the runtime: how often to look for due entries. What is due
      // is decided with the injected Clock.
      cv_.wait_for(lock, period_, [this] { return stop_ || !queue_.empty(); });
      if (stop_) {
        return;
      }
    }
    RunQueued();
    tick_();
  }
}

}  // namespace locksmith::internal
