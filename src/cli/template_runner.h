// The agent's templates at run time: renders every --template file at start (the agent does not
// start if one fails), subscribes to the secrets each one uses, and re-renders a file on a worker
// thread when one of them rotates, replacing it only when the output changed and then running the
// template's command. A failed re-render keeps the old file and is logged (the template and the
// reference, never a value) and counted in secrets_manager_refresh_failures_total.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/secret_template.h"
#include "cli/template_spec.h"
#include "locksmith/metrics.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct TemplateRunnerOptions {
  // A command still running after this is killed (its process group) and logged.
  std::chrono::milliseconds command_timeout = std::chrono::seconds(30);
  // A re-render that failed (a back end down, a field missing) is tried again after this, on the
  // worker, until it succeeds or the template's secrets rotate again.
  std::chrono::milliseconds retry_interval = std::chrono::seconds(10);
  // Off in tests, which call RenderPending themselves.
  bool start_worker = true;
};

class TemplateRunner;
using TemplateRunnerPtr = std::unique_ptr<TemplateRunner>;

// Thread-safe: subscription callbacks (any thread) only mark templates for the worker.
class TemplateRunner {
 public:
  // Loads and parses every template (errors: SecretTemplate::Load's). `manager` and `metrics`
  // (may be null) must outlive the runner.
  static Result<TemplateRunnerPtr> Create(std::vector<TemplateSpec> specs, SecretsManager& manager,
                                          Metrics* metrics, TemplateRunnerOptions options = {});
  ~TemplateRunner();
  TemplateRunner(const TemplateRunner&) = delete;
  TemplateRunner& operator=(const TemplateRunner&) = delete;

  // Removes the temporary files a killed render left next to each destination
  // (RemoveStaleTemporaryFiles; a failure there is logged, not fatal), subscribes, renders every
  // template in memory (any error: nothing is written and it is returned, naming the template
  // and the reference), writes every file, runs the command of each file whose content differs
  // from what it held, then starts the worker.
  Result<void> Start();
  // Stops the worker (waiting for a render or command under way); idempotent.
  void Stop();

  // Renders the templates a rotation marked, now, on this thread; returns how many files were
  // replaced. One that fails is marked failed (RetryFailed marks it again). The worker calls
  // these; so do tests that turned the worker off.
  std::size_t RenderPending();
  void RetryFailed();

 private:
  struct Entry {
    TemplateSpec spec;
    std::unique_ptr<SecretTemplate> tmpl;
    std::optional<SecretValue> last;  // the content last written
    bool dirty = false;               // guarded by mu_
    bool failed = false;              // the last re-render failed; guarded by mu_
  };
  TemplateRunner(SecretsManager& manager, Metrics* metrics, TemplateRunnerOptions options);

  Result<SecretValue> RenderEntry(const Entry& entry);
  void RunEntryCommand(const Entry& entry);
  void MarkDirty(const std::string& ref);
  void SetFailed(Entry& entry, bool failed);
  void WorkerLoop();

  SecretsManager& manager_;
  Metrics* metrics_;
  TemplateRunnerOptions options_;
  std::vector<Entry> entries_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread worker_;
  std::vector<SubscriptionPtr> subscriptions_;  // last: dropped first
};

}  // namespace locksmith
