// The Vault provider's pending stage. KV v2 has no staging labels, and every other Vault reader
// (Vault Agent templates, other services) takes a secret's latest version as current, so a pending
// value cannot be a new version of the secret. It lives at a sibling path,
// `<prefix>/.locksmith-pending/<name>`, under the default field; its versions are
// "pending-<sibling version>". Promotion writes it as a new version of the secret (check-and-set,
// other fields kept) and then deletes the sibling. docs/vault.md, "Pending versions".
#include <charconv>
#include <string>

#include "core/logical_name.h"
#include "core/scrub.h"
#include "core/time_format.h"
#include "core/utf8.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"
#include "providers/vault/vault_provider_internal.h"

namespace locksmith::internal {

namespace {

constexpr std::string_view kPendingIdPrefix = "pending-";

std::string PendingQuoted(std::string_view name) { return "'" + std::string(name) + "'"; }

std::string PendingId(std::int64_t version) {
  return std::string(kPendingIdPrefix) + std::to_string(version);
}

Error PendingGone(std::string_view name, std::int64_t version) {
  return MakeError(ErrorCode::kNotFound,
                   "pending version " + PendingId(version) + " of secret " + PendingQuoted(name) +
                       " no longer exists: it was already promoted or cancelled");
}

// The string under `field` in a sibling's data map (the only shape locksmith writes there).
const std::string* PendingField(const nlohmann::json& data, const std::string& field) {
  if (!data.is_object()) {
    return nullptr;
  }
  auto it = data.find(field);
  return it != data.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

Result<std::optional<std::int64_t>> VaultProvider::ParsePendingId(std::string_view id) {
  if (!id.starts_with(kPendingIdPrefix)) {
    return std::optional<std::int64_t>();
  }
  std::string_view digits = id.substr(kPendingIdPrefix.size());
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || n <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Vault pending version ids are 'pending-' and a positive number, not '" +
                         std::string(id) + "'");
  }
  return std::optional<std::int64_t>(n);
}

Result<void> VaultProvider::ValidateVaultName(std::string_view name) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateLogicalName(name));
  std::string_view first = name.substr(0, name.find('/'));
  if (first == kPendingFolder) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "secret name '" + std::string(name) + "' is inside '" +
                         std::string(kPendingFolder) +
                         "/', where the Vault back end keeps pending versions");
  }
  return OkResult();
}

std::string VaultProvider::PendingPath(std::string_view name) const {
  return JoinSecretPath(ResolvedMount().prefix,
                        std::string(kPendingFolder) + "/" + std::string(name));
}

Result<VersionInfo> VaultProvider::PutPendingToMount(std::string_view name,
                                                     const SecretValue& value) {
  // As AWS: a pending version needs a secret with a current version to stand beside. Rotate()
  // then puts a missing secret's first value as current.
  const std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  auto current = ReadLatestLive(name, path);
  if (!current.ok()) {
    if (current.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound,
                       "secret " + PendingQuoted(name) +
                           " has no current version in Vault: put it as current, not as pending");
    }
    return std::move(current).error();
  }
  // Check-and-set on the sibling too (mounts with cas_required refuse writes without it); a put
  // racing another pending put gets ABORTED rather than silently replacing it.
  const std::string sibling = PendingPath(name);
  std::int64_t cas = 0;
  auto latest = ReadVersion(name, sibling, 0);
  if (latest.ok()) {
    cas = latest->version;
  } else if (latest.error().code != ErrorCode::kNotFound) {
    return std::move(latest).error();
  }
  nlohmann::json body = {{"data", {{options_.default_field, std::string(value.RevealUnsafe())}}},
                         {"options", {{"cas", cas}}}};
  std::string text = DumpJsonWiping(body);
  WipeJsonStrings(body);
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("POST", DataPath(sibling), std::move(text)));
  const std::string what = "writing the pending version of " + PendingQuoted(name);
  if (reply.status != 200) {
    return VaultError(reply, what, BackendText::kOmit);
  }
  const auto& meta = reply.json.is_object() ? reply.json["data"] : reply.json;
  if (!meta.is_object() || !meta.contains("version") || !meta["version"].is_number_integer()) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed answer " + what);
  }
  VersionInfo info;
  info.version_id = PendingId(meta["version"].get<std::int64_t>());
  info.stages = {Stage::kPending};
  if (meta.contains("created_time") && meta["created_time"].is_string()) {
    info.created = ParseRfc3339(meta["created_time"].get_ref<const std::string&>())
                       .value_or(std::chrono::system_clock::time_point{});
  }
  return info;
}

Result<Secret> VaultProvider::GetPendingFromMount(std::string_view name, std::int64_t version) {
  auto read = ReadVersion(name, PendingPath(name), version);
  if (!read.ok()) {
    if (read.error().code != ErrorCode::kNotFound) {
      return std::move(read).error();
    }
  } else if (read->live && PendingField(read->data, options_.default_field) != nullptr) {
    LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, MakeSecret(name, *read, Stage::kPending));
    secret.version.version_id = PendingId(read->version);
    if (version > 0) {
      secret.version.stages.clear();  // as for numeric ids: a newer pending may exist
    }
    return secret;
  }
  if (version > 0) {
    return PendingGone(name, version);
  }
  return MakeError(ErrorCode::kNotFound,
                   "secret " + PendingQuoted(name) + " has no pending version");
}

Result<void> VaultProvider::PromotePendingInMount(std::string_view name, std::int64_t version) {
  const std::string sibling = PendingPath(name);
  const std::string& field = options_.default_field;
  auto pending = ReadVersion(name, sibling, 0);
  if (pending.ok() && pending->version > version) {
    // A tombstone above `version` (below) says it was promoted; a newer pending leaves it
    // promotable, as AWS can move AWSCURRENT to any version.
    if (pending->live && PendingField(pending->data, field) == nullptr) {
      return PendingGone(name, version);
    }
    pending = ReadVersion(name, sibling, version);
  } else if (pending.ok() && pending->version < version) {
    return PendingGone(name, version);
  }
  if (!pending.ok() && pending.error().code == ErrorCode::kNotFound) {
    return PendingGone(name, version);
  }
  if (!pending.ok()) {
    return std::move(pending).error();
  }
  const std::string* value = pending->live ? PendingField(pending->data, field) : nullptr;
  if (value == nullptr) {
    return PendingGone(name, version);  // deleted, or a tombstone (below)
  }

  const std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  LOCKSMITH_ASSIGN_OR_RETURN(Read latest, ReadVersion(name, path, 0));
  nlohmann::json next = NextData(latest.data, field, *value);
  // Equal already: an earlier promote wrote it and stopped before removing the sibling (a crash,
  // or a failed delete); writing again would make a second version of the same value.
  bool written = false;
  if (latest.live && latest.data.is_object()) {
    std::string seen = DumpJsonWiping(latest.data);
    std::string wanted = DumpJsonWiping(next);
    written = SecretValue(seen).Equals(wanted);
    WipeString(seen);
    WipeString(wanted);
  }
  if (!written) {
    nlohmann::json body = {{"data", std::move(next)}, {"options", {{"cas", latest.version}}}};
    std::string text = DumpJsonWiping(body);
    WipeJsonStrings(body);
    LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("POST", DataPath(path), std::move(text)));
    if (reply.status != 200) {
      return VaultError(reply, "promoting " + PendingId(version) + " of " + PendingQuoted(name),
                        BackendText::kOmit);
    }
  }
  WipeJsonStrings(next);

  // Remove the sibling only when `version` is still its latest: a newer pending put since keeps
  // its place, as AWS keeps AWSPENDING on a newer version. (Vault has no check-and-set for a
  // metadata delete; a pending put landing between this read and the delete is lost, and its
  // writer's promote reports NOT_FOUND.)
  auto now_pending = ReadVersion(name, sibling, 0);
  if (!now_pending.ok()) {
    if (now_pending.error().code == ErrorCode::kNotFound) {
      return OkResult();
    }
    return std::move(now_pending).error();
  }
  if (now_pending->version > version) {
    return OkResult();
  }
  const std::string cleanup = "removing the promoted pending copy of " + PendingQuoted(name) +
                              " (the new value is current; promoting " + PendingId(version) +
                              " again finishes the cleanup)";
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply removed, Call("DELETE", MetadataPath(sibling)));
  if (removed.status == 204 || removed.status == 200 || removed.status == 404) {
    return OkResult();
  }
  if (removed.status != 403 || VaultSaysInvalidToken(removed)) {
    return VaultError(removed, cleanup, BackendText::kOmit);
  }
  // A writer policy from before the pending stage (create, read, update on the data path) may not
  // delete metadata. Rather than fail a rotation whose value is already current, end the pending
  // version with a tombstone: a newer sibling version without the value field, which every
  // pending read takes as "no pending version". Its history keeps the old pending values until
  // max_versions drops them (each is also in the secret's own history).
  nlohmann::json body = {{"data", nlohmann::json::object()},
                         {"options", {{"cas", now_pending->version}}}};
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply tomb, Call("POST", DataPath(sibling), body.dump()));
  if (tomb.status != 200) {
    return VaultError(tomb, cleanup, BackendText::kOmit);
  }
  if (!tombstone_warned_.exchange(true)) {
    Logger()->warn(
        "vault: the policy may not delete '{}' (metadata of the pending copies); pending versions "
        "are ended with a tombstone version instead: grant delete on {}/metadata/{}/*",
        std::string(kPendingFolder), ResolvedMount().mount,
        JoinSecretPath(ResolvedMount().prefix, kPendingFolder));
  }
  return OkResult();
}

Result<std::optional<VersionInfo>> VaultProvider::DescribePending(std::string_view name) {
  auto read = ReadVersion(name, PendingPath(name), 0);
  if (!read.ok()) {
    // A reader whose policy names its secrets one by one may not see the sibling: describe what
    // it can see rather than fail.
    if (read.error().code == ErrorCode::kNotFound ||
        read.error().code == ErrorCode::kPermissionDenied) {
      return std::optional<VersionInfo>();
    }
    return std::move(read).error();
  }
  if (!read->live || PendingField(read->data, options_.default_field) == nullptr) {
    return std::optional<VersionInfo>();
  }
  return std::optional<VersionInfo>(
      VersionInfo{PendingId(read->version), {Stage::kPending}, read->created});
}

}  // namespace locksmith::internal
