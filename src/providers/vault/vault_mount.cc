#include "providers/vault/vault_mount.h"

#include <algorithm>

#include "locksmith/log.h"
#include "transport/http_client.h"

namespace locksmith::internal {

namespace {

std::string MountQuoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string NamingConfigured(std::string_view configured) {
  return "VAULT_MOUNT_PATH " + MountQuoted(configured) + ": ";
}

Error MalformedUiAnswer(std::string_view configured, std::string_view why) {
  return MakeError(ErrorCode::kUnavailable,
                   "vault: malformed answer from sys/internal/ui/mounts for VAULT_MOUNT_PATH " +
                       MountQuoted(configured) + " (" + std::string(why) + ")");
}

// A mount type as Vault names engines ("pki", "transit"), or a neutral phrase for anything else:
// the answer is not trusted enough to be quoted whole.
std::string DescribeEngine(const std::string& type) {
  const bool plain =
      !type.empty() && type.size() <= 64 && std::all_of(type.begin(), type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
      });
  return plain ? "a " + MountQuoted(type) + " secrets engine" : "a secrets engine of another type";
}

}  // namespace

Result<VaultMountPath> ParseVaultMountPath(std::string_view mount_path) {
  while (!mount_path.empty() && mount_path.front() == '/') {
    mount_path.remove_prefix(1);
  }
  while (!mount_path.empty() && mount_path.back() == '/') {
    mount_path.remove_suffix(1);
  }
  if (mount_path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "VAULT_MOUNT_PATH is empty");
  }
  if (mount_path.find("//") != std::string_view::npos ||
      mount_path.find("..") != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "VAULT_MOUNT_PATH '" + std::string(mount_path) + "' is malformed");
  }
  auto slash = mount_path.find('/');
  VaultMountPath out;
  out.mount = std::string(mount_path.substr(0, slash));
  if (slash != std::string_view::npos) {
    out.prefix = std::string(mount_path.substr(slash + 1));
  }
  return out;
}

std::string EncodeVaultPath(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    out += UrlEncode(path.substr(start, end - start));
    if (slash == std::string_view::npos) {
      break;
    }
    out += '/';
    start = slash + 1;
  }
  return out;
}

Result<VaultMountPath> MountFromUiAnswer(std::string_view configured,
                                         const nlohmann::json& answer) {
  const nlohmann::json* data = nullptr;
  if (answer.is_object()) {
    auto it = answer.find("data");
    if (it != answer.end() && it->is_object()) {
      data = &*it;
    }
  }
  if (data == nullptr) {
    return MalformedUiAnswer(configured, "no data object");
  }
  auto path_it = data->find("path");
  if (path_it == data->end() || !path_it->is_string()) {
    return MalformedUiAnswer(configured, "no data.path");
  }
  const std::string& path = path_it->get_ref<const std::string&>();
  // Vault answers the mount's path with a trailing slash ("team/kv/").
  if (path.size() < 2 || path.back() != '/' || path.front() == '/') {
    return MalformedUiAnswer(configured, "data.path is not a mount path");
  }
  std::string_view mount(path.data(), path.size() - 1);
  if (!(configured == mount || (configured.size() > mount.size() && configured.starts_with(mount) &&
                                configured[mount.size()] == '/'))) {
    return MalformedUiAnswer(configured, "the mount answered does not hold the path");
  }
  auto type_it = data->find("type");
  if (type_it == data->end() || !type_it->is_string()) {
    return MalformedUiAnswer(configured, "no data.type");
  }
  std::string version;
  auto options_it = data->find("options");
  if (options_it != data->end() && !options_it->is_null()) {
    if (!options_it->is_object()) {
      return MalformedUiAnswer(configured, "data.options is not an object");
    }
    auto version_it = options_it->find("version");
    if (version_it != options_it->end() && !version_it->is_null()) {
      if (!version_it->is_string()) {
        return MalformedUiAnswer(configured, "data.options.version is not a string");
      }
      version = version_it->get<std::string>();
    }
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  if (type != "kv") {
    return MakeError(ErrorCode::kInvalidArgument,
                     NamingConfigured(configured) + "the mount " + MountQuoted(mount) + " is " +
                         DescribeEngine(type) +
                         ", not KV version 2 (point VAULT_MOUNT_PATH at a KV v2 mount, or enable "
                         "one: vault secrets enable -path=<mount> kv-v2)");
  }
  // As the Vault CLI reads it: no version, "" or "1" is version 1.
  if (version != "2") {
    return MakeError(ErrorCode::kInvalidArgument,
                     NamingConfigured(configured) + "the mount " + MountQuoted(mount) +
                         " is KV version 1; locksmith needs KV version 2 (upgrade it with: vault "
                         "kv enable-versioning " +
                         std::string(mount) + ")");
  }
  VaultMountPath out;
  out.mount = std::string(mount);
  if (configured.size() > mount.size()) {
    out.prefix = std::string(configured.substr(mount.size() + 1));
  }
  return out;
}

VaultMountResolver::VaultMountResolver(VaultMountPath first_segment_guess)
    : guess_(std::move(first_segment_guess)),
      configured_(guess_.prefix.empty() ? guess_.mount : guess_.mount + "/" + guess_.prefix) {}

Result<const VaultMountPath*> VaultMountResolver::Resolve(const Fetch& fetch) {
  if (const VaultMountPath* done = published_.load(std::memory_order_acquire)) {
    return done;
  }
  std::lock_guard lock(mu_);
  if (resolved_.has_value()) {
    return &*resolved_;
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply,
                             fetch("sys/internal/ui/mounts/" + EncodeVaultPath(configured_)));
  if (reply.status == 403) {
    // Vault answers 403 both for a path under no mount and for a token with no exact or glob
    // rule inside the mount (logical_system.go hasMountAccess). Reads may still work (rules with
    // "+"), so this is not fatal; the first segment is the best guess, said once.
    Logger()->warn(
        "vault: Vault denied the mount lookup sys/internal/ui/mounts/{} (HTTP 403), so the KV "
        "mount of VAULT_MOUNT_PATH '{}' is not checked; assuming the KV mount is '{}' (its first "
        "segment). Vault answers this lookup when a policy of the token grants a capability on a "
        "path inside the mount through an exact path or a '*' glob (rules with '+' do not count), "
        "e.g. path \"<mount>/data/<prefix>/*\" {{ capabilities = [\"read\"] }}; it denies it for "
        "a path under no mount",
        configured_, configured_, guess_.mount);
    resolved_ = guess_;
    assumed_.store(true);
  } else if (reply.status == 404) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "vault: no sys/internal/ui/mounts endpoint (HTTP 404) to find the KV mount of "
                     "VAULT_MOUNT_PATH " +
                         MountQuoted(configured_) +
                         ": a Vault older than 0.10 (no KV version 2) or a proxy that hides sys/");
  } else if (reply.status != 200) {
    return VaultError(reply,
                      "looking up the KV mount of VAULT_MOUNT_PATH " + MountQuoted(configured_),
                      BackendText::kScrubbed);
  } else {
    LOCKSMITH_ASSIGN_OR_RETURN(VaultMountPath mount, MountFromUiAnswer(configured_, reply.json));
    resolved_ = std::move(mount);
  }
  published_.store(&*resolved_, std::memory_order_release);
  return &*resolved_;
}

}  // namespace locksmith::internal
