#include "cli/template_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "cli/atomic_file.h"
#include "core/private_file.h"
#include "core/subprocess.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"

namespace locksmith {
namespace {

// Whether `path` already holds exactly `content` (an unreadable or missing file does not).
bool FileHoldsContent(const std::filesystem::path& path, const SecretValue& content) {
  internal::SecretFileRules rules;
  rules.private_to_owner = false;
  rules.max_size = content.size() + 1;
  auto existing = internal::ReadSecretFile(path, "rendered file", rules);
  return existing.ok() && *existing == content;
}

}  // namespace

TemplateRunner::TemplateRunner(SecretsManager& manager, Metrics* metrics,
                               TemplateRunnerOptions options)
    : manager_(manager), metrics_(metrics), options_(options) {}

TemplateRunner::~TemplateRunner() { Stop(); }

Result<TemplateRunnerPtr> TemplateRunner::Create(std::vector<TemplateSpec> specs,
                                                 SecretsManager& manager, Metrics* metrics,
                                                 TemplateRunnerOptions options) {
  TemplateRunnerPtr runner(new TemplateRunner(manager, metrics, options));
  for (TemplateSpec& spec : specs) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::unique_ptr<SecretTemplate> tmpl,
                               SecretTemplate::Load(spec.source));
    runner->entries_.push_back({std::move(spec), std::move(tmpl), std::nullopt, false});
  }
  return runner;
}

Result<SecretValue> TemplateRunner::RenderEntry(const Entry& entry) {
  TemplateValues values;
  for (const std::string& ref : entry.tmpl->refs()) {
    auto value = manager_.Get(ref);
    if (!value.ok()) {
      if (metrics_ != nullptr) {
        auto parsed = ParseSecretRef(ref);
        metrics_->RecordRefreshFailure(parsed.ok() ? parsed->name : ref);
      }
      return MakeError(value.error().code, "template '" + entry.spec.source.string() +
                                               "': secret '" + ref + "': " + value.error().message);
    }
    values.emplace(ref, std::move(value).value());
  }
  return entry.tmpl->Render(values);
}

Result<void> TemplateRunner::Start() {
  // Subscribed first, so a rotation during the first render is rendered again afterwards.
  std::set<std::string> refs;
  for (const Entry& entry : entries_) {
    refs.insert(entry.tmpl->refs().begin(), entry.tmpl->refs().end());
  }
  for (const std::string& ref : refs) {
    subscriptions_.push_back(
        manager_.Subscribe(ref, [this, ref](const SecretUpdate&) { MarkDirty(ref); }));
  }
  // A render killed mid-write (SIGKILL, a crash, a power cut) leaves its temporary file behind.
  for (const Entry& entry : entries_) {
    auto removed = RemoveStaleTemporaryFiles(entry.spec.destination);
    if (!removed.ok()) {
      Logger()->warn("template {}: {}", entry.spec.source.string(), removed.error().ToString());
    } else if (*removed > 0) {
      Logger()->info(
          "template {}: removed {} temporary file(s) left by an interrupted render of {}",
          entry.spec.source.string(), *removed, entry.spec.destination.string());
    }
  }
  std::vector<SecretValue> rendered;
  for (const Entry& entry : entries_) {
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue text, RenderEntry(entry));
    rendered.push_back(std::move(text));
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    const bool changed = !FileHoldsContent(entry.spec.destination, rendered[i]);
    LOCKSMITH_RETURN_IF_ERROR(
        ReplaceFileAtomically(entry.spec.destination, rendered[i].RevealUnsafe(), entry.spec.mode));
    Logger()->info("template {}: rendered {}", entry.spec.source.string(),
                   entry.spec.destination.string());
    entry.last = std::move(rendered[i]);
    if (changed) {
      RunEntryCommand(entry);
    }
  }
  if (options_.start_worker) {
    worker_ = std::thread([this] { WorkerLoop(); });
  }
  return OkResult();
}

void TemplateRunner::Stop() {
  subscriptions_.clear();  // waits for a callback running on another thread
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void TemplateRunner::MarkDirty(const std::string& ref) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Entry& entry : entries_) {
      const auto& refs = entry.tmpl->refs();
      if (std::find(refs.begin(), refs.end(), ref) != refs.end()) {
        entry.dirty = true;
      }
    }
  }
  wake_.notify_all();
}

void TemplateRunner::RetryFailed() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& entry : entries_) {
    if (entry.failed) {
      entry.dirty = true;
    }
  }
}

void TemplateRunner::WorkerLoop() {
  for (;;) {
    bool retry = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto ready = [this] {
        return stopping_ || std::any_of(entries_.begin(), entries_.end(),
                                        [](const Entry& e) { return e.dirty; });
      };
      bool any_failed =
          std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.failed; });
      if (any_failed) {
        retry = !wake_.wait_for(lock, options_.retry_interval, ready);
      } else {
        wake_.wait(lock, ready);
      }
      if (stopping_) {
        return;
      }
    }
    if (retry) {
      RetryFailed();
    }
    RenderPending();
  }
}

void TemplateRunner::SetFailed(Entry& entry, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  entry.failed = failed;
}

std::size_t TemplateRunner::RenderPending() {
  std::size_t replaced = 0;
  for (Entry& entry : entries_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!entry.dirty) {
        continue;
      }
      entry.dirty = false;
    }
    auto text = RenderEntry(entry);
    if (!text.ok()) {
      Logger()->error("re-rendering failed, kept the old {}: {}", entry.spec.destination.string(),
                      text.error().ToString());
      SetFailed(entry, true);
      continue;
    }
    SetFailed(entry, false);
    if (entry.last && *entry.last == *text) {
      continue;  // a rotation of a secret whose rendered text did not change
    }
    if (auto written =
            ReplaceFileAtomically(entry.spec.destination, text->RevealUnsafe(), entry.spec.mode);
        !written.ok()) {
      Logger()->error("template {}: {}", entry.spec.source.string(), written.error().ToString());
      SetFailed(entry, true);
      continue;
    }
    Logger()->info("template {}: re-rendered {}", entry.spec.source.string(),
                   entry.spec.destination.string());
    entry.last = std::move(text).value();
    ++replaced;
    RunEntryCommand(entry);
  }
  return replaced;
}

void TemplateRunner::RunEntryCommand(const Entry& entry) {
  if (entry.spec.command.empty()) {
    return;
  }
  internal::SubprocessLimits limits;
  limits.timeout = options_.command_timeout;
  // Its output is discarded, never logged: a command may print what it read from the file.
  auto ran = internal::RunSubprocess(entry.spec.command, limits);
  const std::string& program = entry.spec.command.front();
  if (!ran.ok()) {
    Logger()->error("template {}: command '{}' failed: {}", entry.spec.destination.string(),
                    program, ran.error().ToString());
  } else if (ran->exit_code != 0) {
    Logger()->error("template {}: command '{}' exited with status {}",
                    entry.spec.destination.string(), program, ran->exit_code);
  } else {
    Logger()->info("template {}: command '{}' done", entry.spec.destination.string(), program);
  }
}

}  // namespace locksmith
