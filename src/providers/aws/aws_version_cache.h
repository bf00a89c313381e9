// AwsVersionCache: the AWS provider's values per version id. Secrets Manager version ids are
// immutable (a new value is always a new version), so a value fetched once never needs fetching
// again; only the staging labels move. The provider asks DescribeSecret where a stage points and
// fetches a value only for a version id it has not seen. Bounded: a few versions per secret
// (least recently used dropped first) and a maximum number of secrets; dropped values are wiped
// (they are SecretValues).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/provider.h"

namespace locksmith::internal {

// Thread-safe.
class AwsVersionCache {
 public:
  // `versions_per_secret` 0 disables the cache (nothing is stored).
  AwsVersionCache(std::size_t versions_per_secret, std::size_t max_secrets);

  bool enabled() const { return versions_per_secret_ > 0; }

  // Whether anything is cached for the logical name `name`.
  bool Contains(std::string_view name) const;
  // A copy of the cached version `version_id` of `name` (name, version info and whole value),
  // marked as recently used.
  std::optional<Secret> Find(std::string_view name, std::string_view version_id);
  // Stores (a copy of) a fetched version: `secret.name` is the logical name and `secret.value`
  // the whole value (no field extracted). Replaces the version's labels if already cached.
  void Store(const Secret& secret);
  // Drops everything cached for `name` (e.g. the secret was deleted).
  void Forget(std::string_view name);

  std::size_t VersionCountForTest(std::string_view name) const;

 private:
  struct Version {
    VersionInfo info;
    SecretValue value;
    std::uint64_t last_use = 0;
  };
  struct PerSecret {
    std::vector<Version> versions;
    std::uint64_t last_use = 0;
  };

  const std::size_t versions_per_secret_;
  const std::size_t max_secrets_;
  mutable std::mutex mu_;
  std::map<std::string, PerSecret, std::less<>> secrets_;  // guarded by mu_
  std::uint64_t tick_ = 0;                                 // guarded by mu_
};

}  // namespace locksmith::internal
