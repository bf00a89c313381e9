// KeySet and KeySetHolder: the key-set part shared by the JWT and encryption key rings.
// A KeySet is one immutable set of key versions, primary (the current version) first, looked up
// by key id. A KeySetHolder keeps a ring's current set and swaps in a new one, built by the ring,
// whenever the key secret rotates; readers take a snapshot and keep using the set they started
// with. A fixed holder (no manager) keeps the set it was given.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keys/key_versions.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

// `Key` has `std::string_view id() const`, unique within a set.
template <typename Key>
struct KeySet {
  std::vector<Key> keys;  // keys[0] is primary

  const Key& primary() const { return keys.front(); }

  // The key with this id, or null.
  const Key* Find(std::string_view id) const {
    for (const Key& k : keys) {
      if (k.id() == id) {
        return &k;
      }
    }
    return nullptr;
  }
};

// The versions of a key secret in ring order: current, previous (if any), then the extra ones.
std::vector<Secret> VersionsInOrder(KeyVersions versions);

// The parts of a holder that do not depend on the key type: loading, subscribing, logging.
class KeySetLoader {
 public:
  // Builds and installs a set from the versions; returns what the log line says about it.
  using Accept = std::function<Result<std::string>(std::vector<Secret> versions)>;

  // `kind` names the ring in logs ("jwt key ring"). `manager` may be null (a fixed ring).
  KeySetLoader(SecretsManager* manager, std::string name, std::string kind,
               std::vector<std::string> extra_version_ids, Accept accept);

  const std::string& name() const { return name_; }

  // Loads the versions now (`announced`, if given, is the version a subscription just announced).
  Result<void> Load(std::optional<Secret> announced);
  // Reloads on every change of the secret, logging failures (the previous set stays).
  void Subscribe();
  // kFailedPrecondition for a fixed ring.
  Result<void> Reload();

 private:
  SecretsManager* manager_;
  const std::string name_;
  const std::string kind_;
  const std::vector<std::string> extra_version_ids_;
  Accept accept_;
  SubscriptionPtr subscription_;  // last: unsubscribes before the members above go away
};

template <typename Key>
class KeySetHolder {
 public:
  using Set = KeySet<Key>;
  // Builds a set from versions in ring order (see VersionsInOrder).
  using Builder = std::function<Result<std::shared_ptr<const Set>>(std::vector<Secret> versions)>;
  // What the log line says about a newly installed set (key ids, never key material).
  using Describer = std::function<std::string(const Set&)>;

  KeySetHolder(SecretsManager* manager, std::string name, std::string kind,
               std::vector<std::string> extra_version_ids, Builder build, Describer describe)
      : build_(std::move(build)),
        describe_(std::move(describe)),
        loader_(manager, std::move(name), std::move(kind), std::move(extra_version_ids),
                [this](std::vector<Secret> versions) { return Accept(std::move(versions)); }) {}

  const std::string& name() const { return loader_.name(); }

  // First load from the manager, then follow its changes.
  Result<void> Start() {
    LOCKSMITH_RETURN_IF_ERROR(loader_.Load(std::nullopt));
    loader_.Subscribe();
    return OkResult();
  }
  Result<void> Reload() { return loader_.Reload(); }

  void Install(std::shared_ptr<const Set> set) {
    std::lock_guard lock(mu_);
    set_ = std::move(set);
  }
  std::shared_ptr<const Set> Snapshot() const {
    std::lock_guard lock(mu_);
    return set_;
  }

 private:
  Result<std::string> Accept(std::vector<Secret> versions) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::shared_ptr<const Set> set, build_(std::move(versions)));
    std::string description = describe_(*set);
    Install(std::move(set));
    return description;
  }

  Builder build_;
  Describer describe_;
  mutable std::mutex mu_;
  std::shared_ptr<const Set> set_;
  KeySetLoader loader_;  // last: its subscription goes before the members above
};

}  // namespace locksmith::internal
