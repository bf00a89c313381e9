// Which KV v2 mount VAULT_MOUNT_PATH lives in. A mount may have any number of segments
// (`vault secrets enable -path=team/kv kv-v2`), so the provider asks Vault, as the Vault CLI does
// (command/kv_helpers.go kvPreflightVersionRequest): GET sys/internal/ui/mounts/<path> answers the
// mount holding <path> (data.path, with a trailing slash), its type and options.version.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/result.h"
#include "providers/vault/vault_api.h"

namespace locksmith::internal {

// "secret/agentauri-backend/production" -> {"secret", "agentauri-backend/production"}: a KV
// mount and the prefix of the secrets below it.
struct VaultMountPath {
  std::string mount;
  std::string prefix;
};

// Checks VAULT_MOUNT_PATH and splits it at its first segment (the guess used when Vault denies
// the mount lookup).
Result<VaultMountPath> ParseVaultMountPath(std::string_view mount_path);

// Each segment of `path` URL-encoded, the slashes kept.
std::string EncodeVaultPath(std::string_view path);

// The mount and the rest of `configured` from sys/internal/ui/mounts' 200 answer `answer`.
// kInvalidArgument (a configuration error) for a mount that is not KV version 2; kUnavailable for
// an answer of another shape, or a mount that does not prefix `configured`.
Result<VaultMountPath> MountFromUiAnswer(std::string_view configured, const nlohmann::json& answer);

// Resolves once and keeps the answer; a failure is not kept (the next call asks again).
// Thread-safe: the first callers wait for one lookup.
class VaultMountResolver {
 public:
  // One lookup: GET of `path` (under /v1/) with the provider's token.
  using Fetch = std::function<Result<VaultReply>(const std::string& path)>;

  explicit VaultMountResolver(VaultMountPath first_segment_guess);

  // The mount, stable for the resolver's life once returned. When Vault denies the lookup (403)
  // the first segment is assumed, with one warning.
  Result<const VaultMountPath*> Resolve(const Fetch& fetch);

  // The mount once Resolve has returned it, else null.
  const VaultMountPath* resolved() const { return published_.load(std::memory_order_acquire); }
  // VAULT_MOUNT_PATH without slashes at the ends.
  const std::string& configured() const { return configured_; }
  // Whether the mount was assumed after a 403 (so a later 403 may come from the wrong mount).
  bool assumed() const { return assumed_.load(); }

 private:
  const VaultMountPath guess_;
  const std::string configured_;
  std::mutex mu_;  // held across the lookup, so concurrent first calls make one request
  std::optional<VaultMountPath> resolved_;
  std::atomic<const VaultMountPath*> published_{nullptr};
  std::atomic<bool> assumed_{false};
};

}  // namespace locksmith::internal
