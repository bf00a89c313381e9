// BackgroundWorker: the manager's refresh thread. It runs queued refresh-ahead work as soon as
// it is queued and calls `tick` (RefreshDue) every `period`; without a thread (tests) the queue
// is drained by RunQueued on the caller's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace locksmith::internal {

// Thread-safe.
class BackgroundWorker {
 public:
  using Task = std::function<void(const std::string& key)>;

  BackgroundWorker(Task run, std::function<void()> tick, std::chrono::nanoseconds period,
                   bool start_thread);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  void Enqueue(std::string key);
  // Runs everything queued so far on the calling thread.
  void RunQueued();
  // Stops and joins the thread; idempotent. Work still queued is dropped.
  void Stop();

 private:
  void Loop();
  bool PopOne(std::string& key);

  Task run_;
  std::function<void()> tick_;
  const std::chrono::nanoseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool stop_ = false;              // guarded by mu_
  std::thread thread_;             // last: started after everything above exists
};

}  // namespace locksmith::internal
