// The concrete Vault provider, for tests and for wiring with an injected HttpClient.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_bounded.h"
#include "core/version_cache.h"
#include "locksmith/vault_provider.h"
#include "providers/vault/vault_api.h"
#include "providers/vault/vault_auth.h"
#include "providers/vault/vault_mount.h"
#include "transport/http_client.h"

namespace locksmith::internal {

class VaultProvider : public Provider {
 public:
  static constexpr std::size_t kCachedVersionsPerPath = 3;
  static constexpr std::size_t kCachedPaths = 4096;

  // `http` is owned. Logs in before returning.
  static Result<std::unique_ptr<VaultProvider>> Create(VaultOptions options, HttpClientPtr http,
                                                       Clock& clock, Random& random);

  std::string_view Kind() const override { return "vault"; }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override;
  Result<SecretDescription> Describe(std::string_view name) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override;
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override;

  // Address, namespace, mount (as configured and as resolved), auth method and lookup-self's
  // facts (TTL left, renewable, policies, expiry); never the token.
  Result<StatusDetailList> StatusDetails() override;
  // sys/capabilities-self on paths outside the mount's prefix (vault_privileges.cc): one call,
  // nothing read or written.
  Result<PrivilegeProbeList> ProbeLeastPrivilege() override;

  // lookup-self, for `locksmith status`.
  Result<VaultTokenInfo> LookupToken() { return auth_->LookupSelf(); }
  VaultAuth& auth() { return *auth_; }
  // Token renewal / re-login due now (tests run with background_renewal off).
  void RunDueForTest() { auth_->RunDue(); }
  // Whether the metadata endpoint was found forbidden (least-privilege policy).
  bool metadata_denied() const { return metadata_denied_.load(); }

 private:
  struct Read;  // one version's data and metadata
  struct Versions;

  VaultProvider(VaultOptions options, VaultMountPath mount, HttpClientPtr http, Clock& clock);

  // A call with the current token; after a 403 it lets VaultAuth recover once and retries. A 404
  // "no handler for route" (no engine mounted there) is a configuration error.
  Result<VaultReply> Call(std::string_view method, const std::string& path, std::string body = {});
  // The KV mount and prefix (vault_mount.h), looked up on first use. Every public operation starts
  // here, so DataPath and the others below can take the mount as resolved.
  Result<const VaultMountPath*> Mount();
  // A 403 met after the mount was assumed (the lookup was denied) says so.
  Error ExplainDenial(Error error) const;
  template <typename T>
  Result<T> Explained(Result<T> result) const {
    if (!result.ok()) {
      return ExplainDenial(std::move(result).error());
    }
    return result;
  }
  const VaultMountPath& ResolvedMount() const;
  Result<Secret> GetFromMount(std::string_view name, const VersionSelector& selector);
  Result<SecretDescription> DescribeFromMount(std::string_view name);
  Result<VersionInfo> PutToMount(std::string_view name, const SecretValue& value);
  Result<void> PromoteInMount(std::string_view name, std::string_view version_id);

  // The pending stage (vault_pending.cc): the pending value lives at the sibling path
  // `<prefix>/.locksmith-pending/<name>` (kPendingFolder), never as a version of the secret
  // itself, which every other Vault reader takes as current. Its versions are named
  // "pending-<sibling version>". docs/vault.md, "Pending versions".
  static constexpr std::string_view kPendingFolder = ".locksmith-pending";
  // ValidateLogicalName, and no name inside kPendingFolder.
  static Result<void> ValidateVaultName(std::string_view name);
  // "pending-N" -> N; nullopt for an id without that prefix (a numeric version id).
  static Result<std::optional<std::int64_t>> ParsePendingId(std::string_view id);
  std::string PendingPath(std::string_view name) const;
  Result<VersionInfo> PutPendingToMount(std::string_view name, const SecretValue& value);
  // `version` 0: the sibling's latest version, if live (an older one was superseded).
  Result<Secret> GetPendingFromMount(std::string_view name, std::int64_t version);
  Result<void> PromotePendingInMount(std::string_view name, std::int64_t version);
  // The pending version for Describe, or nullopt when there is none or the policy may not see it.
  Result<std::optional<VersionInfo>> DescribePending(std::string_view name);
  // The data map to write for `value` over the latest version's map: the map with `field` set,
  // or, for a map read whole (no `field`) and a JSON object value, that object.
  static nlohmann::json NextData(nlohmann::json latest, const std::string& field,
                                 std::string_view value);
  std::string DataPath(std::string_view secret_path) const;
  std::string MetadataPath(std::string_view secret_path) const;
  // version 0: the latest. kNotFound when absent; a deleted/destroyed version is a Read with
  // `live` false.
  Result<Read> ReadVersion(std::string_view name, const std::string& path, std::int64_t version);
  Result<Read> ReadLatestLive(std::string_view name, const std::string& path);
  Result<Read> ReadLiveBelow(std::string_view name, const std::string& path, std::int64_t below);
  // ReadVersion(version > 0), answered from versions_ when that version is held. Callers pass a
  // version the metadata has just called live at the clock's time (IsLive with clock_), so a held
  // version whose deletion_time (delete_version_after) has since passed is never asked for.
  Result<Read> ReadVersionCached(std::string_view name, const std::string& path,
                                 std::int64_t version);
  // Keeps a live read in versions_ (only while the metadata endpoint is usable: without it the
  // provider cannot tell a version is still current, so holding copies would gain nothing).
  void Remember(const std::string& path, const Read& read);
  // nullopt when the policy does not allow metadata (403), remembered from then on.
  Result<std::optional<Versions>> ReadMetadata(std::string_view name, const std::string& path);
  // The default field of `read`'s map, or the whole map as JSON when it has no such field.
  Result<Secret> MakeSecret(std::string_view name, Read& read, Stage stage);
  Result<void> ListInto(const std::string& folder, std::string_view prefix,
                        std::vector<std::string>& out, int depth);

  const VaultOptions options_;
  VaultMountResolver mount_;
  const HttpClientPtr http_;
  std::unique_ptr<VaultApi> api_;
  std::unique_ptr<VaultAuth> auth_;
  Clock& clock_;  // wall time, to tell a version's future deletion_time from a passed one
  std::atomic<bool> metadata_denied_{false};
  std::atomic<bool> tombstone_warned_{false};  // vault_pending.cc: warned once
  // The KV data of versions already read (as JSON text), per secret path: the version-aware
  // refresh of docs/vault.md. Deletion is not cached: the metadata says which versions are live.
  VersionCache versions_{kCachedVersionsPerPath, kCachedPaths};
};

// Defined here for vault_provider.cc and vault_pending.cc (one definition in a unity build).
struct VaultProvider::Read {
  Read() = default;
  Read(Read&&) = default;
  Read& operator=(Read&&) = default;
  ~Read() { WipeJsonStrings(data); }

  std::int64_t version = 0;
  bool live = false;
  std::chrono::system_clock::time_point created;
  nlohmann::json data;  // the KV data map (null for a deleted or destroyed version)
};

struct VaultProvider::Versions {
  struct Entry {
    std::chrono::system_clock::time_point created;
    bool live = false;
  };
  std::int64_t current_version = 0;
  std::map<std::int64_t, Entry, std::greater<>> entries;  // newest first

  std::optional<std::int64_t> LatestLive(std::int64_t below = INT64_MAX) const {
    for (const auto& [n, e] : entries) {
      if (n < below && e.live) {
        return n;
      }
    }
    return std::nullopt;
  }
};

Result<ProviderPtr> CreateVaultProvider(VaultOptions options, HttpClientPtr http, Clock& clock,
                                        Random& random);

}  // namespace locksmith::internal
