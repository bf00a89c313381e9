#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/logical_name.h"
#include "core/scrub.h"
#include "core/time_format.h"
#include "core/utf8.h"
#include "locksmith/duration.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"
#include "providers/vault/vault_provider_internal.h"
#include "transport/curl_http_client.h"

namespace locksmith::internal {

namespace {

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

Result<std::int64_t> ParseVersionId(std::string_view id) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || ptr != id.data() + id.size() || n <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Vault version ids are positive numbers, not '" + std::string(id) + "'");
  }
  return n;
}

std::chrono::system_clock::time_point TimeField(const nlohmann::json& json, const char* key) {
  if (json.is_object()) {
    auto it = json.find(key);
    if (it != json.end() && it->is_string()) {
      if (auto t = ParseRfc3339(it->get_ref<const std::string&>())) {
        return *t;
      }
    }
  }
  return {};
}

// Whether a version's metadata says it can be read at `now`. A deletion_time is not "deleted":
// with delete_version_after set (on the mount or the key) every version carries one in the
// future, and Vault serves it until that time passes (path_data.go). Deleted from the instant
// itself on. A deletion_time that does not parse counts as deleted: Vault writes RFC 3339 only,
// so it means a proxy or a server we do not understand, and serving a value that may be deleted
// is worse than a NOT_FOUND the operator can see.
bool IsLive(const nlohmann::json& meta, std::chrono::system_clock::time_point now) {
  if (!meta.is_object()) {
    return true;  // as before: no metadata says nothing about deletion
  }
  if (meta.value("destroyed", false)) {
    return false;
  }
  auto it = meta.find("deletion_time");
  if (it == meta.end() || it->is_null() ||
      (it->is_string() && it->get_ref<const std::string&>().empty())) {
    return true;
  }
  if (!it->is_string()) {
    return false;
  }
  auto deletion = ParseRfc3339(it->get_ref<const std::string&>());
  return deletion.has_value() && now < *deletion;
}

// Whether a 404's "errors" say the path reaches no mounted engine (Vault's router), as opposed to
// the empty errors of a KV read of a missing secret.
bool MentionsNoHandler(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("errors") || !json["errors"].is_array()) {
    return false;
  }
  return std::any_of(json["errors"].begin(), json["errors"].end(), [](const nlohmann::json& e) {
    return e.is_string() &&
           e.get_ref<const std::string&>().find("no handler for route") != std::string::npos;
  });
}

// Up to this many older versions are tried when looking for a live one below a deleted one.
constexpr int kMaxVersionWalk = 10;

// A failed read's "errors" strings with the tokens the call sent scrubbed out, before any code
// reads them (a read's error quotes Vault's text; a write's never does, so its text is left for
// VaultError's check-and-set test).
void ScrubReadErrors(std::string_view method, VaultReply& reply,
                     std::span<const std::string_view> tokens) {
  if ((method != "GET" && method != "LIST") || (reply.status >= 200 && reply.status < 300) ||
      !reply.json.is_object()) {
    return;
  }
  auto errors = reply.json.find("errors");
  if (errors == reply.json.end() || !errors->is_array()) {
    return;
  }
  for (auto& entry : *errors) {
    if (entry.is_string()) {
      auto& text = entry.get_ref<std::string&>();
      std::string scrubbed = ScrubBackendText(text, tokens);
      WipeString(text);
      text = std::move(scrubbed);
    }
  }
}

}  // namespace

VaultProvider::VaultProvider(VaultOptions options, VaultMountPath mount, HttpClientPtr http,
                             Clock& clock)
    : options_(std::move(options)),
      mount_(std::move(mount)),
      http_(std::move(http)),
      clock_(clock) {}

Result<std::unique_ptr<VaultProvider>> VaultProvider::Create(VaultOptions options,
                                                             HttpClientPtr http, Clock& clock,
                                                             Random& random) {
  if (options.addr.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "VAULT_ADDR is not set");
  }
  auto url = ParseUrlParts(options.addr);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "VAULT_ADDR must be an http(s):// URL, got '" + options.addr + "'");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultMountPath mount, ParseVaultMountPath(options.mount_path));
  if (options.default_field.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the default Vault field is empty");
  }
  VaultAuthOptions auth;
  auth.token = std::move(options.token);
  auth.token_file = options.token_file;
  auth.role_id = options.role_id;
  auth.secret_id = std::move(options.secret_id);
  auth.secret_id_file = options.secret_id_file;
  auth.approle_mount = options.approle_mount;
  auth.background = options.background_renewal;
  options.token.reset();
  options.secret_id.reset();

  std::unique_ptr<VaultProvider> provider(
      new VaultProvider(std::move(options), std::move(mount), std::move(http), clock));
  provider->api_ = std::make_unique<VaultApi>(
      *provider->http_, provider->options_.addr, provider->options_.namespace_,
      provider->options_.timeout, provider->options_.allow_plain_http);
  LOCKSMITH_ASSIGN_OR_RETURN(provider->auth_,
                             VaultAuth::Create(*provider->api_, std::move(auth), clock, random));
  return provider;
}

Result<StatusDetailList> VaultProvider::StatusDetails() {
  auto looked_up = auth_->LookupSelf();
  // A token without Vault's default policy may not look itself up: the token still works (see
  // VaultAuth), so status says what it cannot know instead of failing. Anything else fails.
  const bool lookup_denied =
      !looked_up.ok() && looked_up.error().code == ErrorCode::kPermissionDenied;
  if (!looked_up.ok() && !lookup_denied) {
    return looked_up.error();
  }
  StatusDetailList details;
  details.emplace_back("vault address", options_.addr);
  if (!options_.namespace_.empty()) {
    details.emplace_back("vault namespace", options_.namespace_);
  }
  details.emplace_back("vault mount", mount_.configured());
  auto resolved = Mount();
  if (!resolved.ok()) {
    details.emplace_back("vault kv mount", "unresolved: " + resolved.error().message);
  } else {
    details.emplace_back("vault kv mount",
                         (*resolved)->mount + (mount_.assumed() ? " (assumed: the lookup "
                                                                  "was denied)"
                                                                : ""));
  }
  details.emplace_back("vault auth", options_.role_id.empty() ? "token" : "approle");
  if (lookup_denied) {
    details.emplace_back("token ttl",
                         "unknown (auth/token/lookup-self denied: the token is not renewed)");
    return details;
  }
  const VaultTokenInfo& info = *looked_up;
  details.emplace_back("token ttl", info.ttl.count() == 0 && info.expire_time.empty()
                                        ? "never expires"
                                        : FormatDuration(info.ttl));
  details.emplace_back("token renewable", info.renewable ? "yes" : "no");
  std::string policies;
  for (const std::string& p : info.policies) {
    policies += (policies.empty() ? "" : ",") + p;
  }
  details.emplace_back("token policies", policies.empty() ? "-" : policies);
  if (!info.expire_time.empty()) {
    details.emplace_back("token expires", info.expire_time);
  }
  return details;
}

Result<VaultReply> VaultProvider::Call(std::string_view method, const std::string& path,
                                       std::string body) {
  LOCKSMITH_ASSIGN_OR_RETURN(VaultAuth::Token token, auth_->Current());
  std::string retry_body = body;
  auto reply = api_->Call(method, path, &token.value, std::move(body));
  if (reply.ok() && reply->status == 403) {
    auto recovered = auth_->RecoverFromForbidden(token.generation);
    if (recovered.ok() && *recovered) {
      const SecretValue first = token.value.Clone();
      LOCKSMITH_ASSIGN_OR_RETURN(token, auth_->Current());
      reply = api_->Call(method, path, &token.value, std::move(retry_body));
      if (reply.ok()) {
        const std::string_view tokens[] = {first.RevealUnsafe(), token.value.RevealUnsafe()};
        ScrubReadErrors(method, *reply, tokens);
      }
      return reply;
    }
    if (!recovered.ok()) {
      WipeString(retry_body);
      return std::move(recovered).error();
    }
  }
  WipeString(retry_body);
  if (reply.ok()) {
    const std::string_view tokens[] = {token.value.RevealUnsafe()};
    ScrubReadErrors(method, *reply, tokens);
    if (reply->status == 404 && MentionsNoHandler(reply->json)) {
      const VaultMountPath* mount = mount_.resolved();
      return MakeError(ErrorCode::kInvalidArgument,
                       "VAULT_MOUNT_PATH '" + mount_.configured() +
                           "': no secrets engine is mounted at '" +
                           (mount != nullptr ? mount->mount : mount_.configured()) +
                           "' (Vault: no handler for route; see vault secrets list)");
    }
  }
  return reply;
}

Result<const VaultMountPath*> VaultProvider::Mount() {
  return mount_.Resolve([this](const std::string& path) { return Call("GET", path); });
}

const VaultMountPath& VaultProvider::ResolvedMount() const { return *mount_.resolved(); }

Error VaultProvider::ExplainDenial(Error error) const {
  if (error.code == ErrorCode::kPermissionDenied && mount_.assumed()) {
    error.message += " (VAULT_MOUNT_PATH '" + mount_.configured() +
                     "': its KV mount could not be looked up, sys/internal/ui/mounts answered "
                     "403; assumed '" +
                     ResolvedMount().mount + "', which is wrong if the mount has more segments)";
  }
  return error;
}

std::string VaultProvider::DataPath(std::string_view secret_path) const {
  return ResolvedMount().mount + "/data/" + EncodeVaultPath(secret_path);
}

std::string VaultProvider::MetadataPath(std::string_view secret_path) const {
  return ResolvedMount().mount + "/metadata/" + EncodeVaultPath(secret_path);
}

Result<VaultProvider::Read> VaultProvider::ReadVersion(std::string_view name,
                                                       const std::string& path,
                                                       std::int64_t version) {
  std::string url = DataPath(path);
  if (version > 0) {
    url += "?version=" + std::to_string(version);
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("GET", url));
  std::string what = "reading " + Quoted(name);
  const nlohmann::json* data = nullptr;
  if (reply.json.is_object() && reply.json.contains("data") && reply.json["data"].is_object()) {
    data = &reply.json["data"];
  }
  const nlohmann::json* meta =
      data != nullptr && data->contains("metadata") && (*data)["metadata"].is_object()
          ? &(*data)["metadata"]
          : nullptr;
  if (reply.status == 404 && meta != nullptr) {
    Read read;  // a deleted or destroyed version: Vault gives its metadata, no data
    read.version = meta->value("version", std::int64_t{0});
    read.created = TimeField(*meta, "created_time");
    read.live = false;
    return read;
  }
  if (reply.status == 404) {
    return MakeError(ErrorCode::kNotFound,
                     version > 0 ? "version " + std::to_string(version) + " of secret " +
                                       Quoted(name) + " not found in Vault"
                                 : "secret " + Quoted(name) + " not found in Vault");
  }
  if (reply.status != 200) {
    return VaultError(reply, what, BackendText::kScrubbed);
  }
  if (meta == nullptr || !data->contains("data") || !(*data)["data"].is_object()) {
    return MakeError(ErrorCode::kUnavailable,
                     "vault: malformed KV v2 answer " + what + " (is the mount KV version 2?)");
  }
  Read read;
  read.version = meta->value("version", std::int64_t{0});
  read.created = TimeField(*meta, "created_time");
  read.live = IsLive(*meta, clock_.WallNow());
  read.data = std::move((*data)["data"]);
  return read;
}

Result<VaultProvider::Read> VaultProvider::ReadVersionCached(std::string_view name,
                                                             const std::string& path,
                                                             std::int64_t version) {
  if (auto held = versions_.Find(path, std::to_string(version))) {
    Read read;
    read.version = version;
    read.created = held->version.created;
    read.live = true;
    read.data = ParseUntrustedJsonOrNull(held->value.RevealUnsafe());
    if (read.data.is_object()) {
      return read;
    }
  }
  LOCKSMITH_ASSIGN_OR_RETURN(Read read, ReadVersion(name, path, version));
  Remember(path, read);
  return read;
}

void VaultProvider::Remember(const std::string& path, const Read& read) {
  if (!read.live || !read.data.is_object() || metadata_denied_.load()) {
    return;
  }
  // Held as the data map's JSON text in a SecretValue, so whatever leaves the cache is wiped.
  std::string text = DumpJsonWiping(read.data);
  SecretValue value(text);
  WipeString(text);
  versions_.Store(path, VersionInfo{std::to_string(read.version), {}, read.created}, value);
}

Result<VaultProvider::Read> VaultProvider::ReadLiveBelow(std::string_view name,
                                                         const std::string& path,
                                                         std::int64_t below) {
  for (std::int64_t v = below - 1; v >= 1 && v >= below - kMaxVersionWalk; --v) {
    auto read = ReadVersion(name, path, v);
    if (!read.ok()) {
      if (read.error().code == ErrorCode::kNotFound) {
        continue;  // pruned by max_versions
      }
      return std::move(read).error();
    }
    if (read->live) {
      return read;
    }
  }
  return MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) + " has no live version below " +
                                             std::to_string(below));
}

Result<VaultProvider::Read> VaultProvider::ReadLatestLive(std::string_view name,
                                                          const std::string& path) {
  LOCKSMITH_ASSIGN_OR_RETURN(Read latest, ReadVersion(name, path, 0));
  if (latest.live) {
    return latest;
  }
  auto older = ReadLiveBelow(name, path, latest.version);
  if (!older.ok() && older.error().code == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound,
                     "secret " + Quoted(name) + " has no live version (all deleted or destroyed)");
  }
  return older;
}

Result<std::optional<VaultProvider::Versions>> VaultProvider::ReadMetadata(
    std::string_view name, const std::string& path) {
  if (metadata_denied_.load()) {
    return std::optional<Versions>();
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("GET", MetadataPath(path)));
  if (reply.status == 403) {
    if (!metadata_denied_.exchange(true)) {
      Logger()->info(
          "vault: the policy does not allow reading metadata; using data reads only (expected "
          "under a read-only policy)");
    }
    return std::optional<Versions>();
  }
  if (reply.status == 404) {
    return MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) + " not found in Vault");
  }
  if (reply.status != 200) {
    return VaultError(reply, "reading metadata of " + Quoted(name), BackendText::kScrubbed);
  }
  const auto& data = reply.json.is_object() ? reply.json["data"] : reply.json;
  if (!data.is_object() || !data.contains("versions") || !data["versions"].is_object()) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed metadata answer");
  }
  Versions versions;
  const auto now = clock_.WallNow();
  versions.current_version = data.value("current_version", std::int64_t{0});
  for (const auto& [key, entry] : data["versions"].items()) {
    auto n = ParseVersionId(key);
    if (!n.ok()) {
      continue;
    }
    versions.entries[*n] = {TimeField(entry, "created_time"), IsLive(entry, now)};
  }
  return std::optional<Versions>(std::move(versions));
}

Result<Secret> VaultProvider::MakeSecret(std::string_view name, Read& read, Stage stage) {
  const std::string& key = options_.default_field;
  Secret secret;
  secret.name = std::string(name);
  secret.version.version_id = std::to_string(read.version);
  secret.version.stages = {stage};
  secret.version.created = read.created;
  auto it = read.data.find(key);
  if (it != read.data.end()) {
    if (it->is_string()) {
      secret.value = SecretValue(it->get_ref<const std::string&>());
    } else {
      std::string text = DumpJsonWiping(*it);
      secret.value = SecretValue(text);
      WipeString(text);
    }
    return secret;
  }
  // No "value" field: the whole map, as a JSON object, so "name#field" works in the runtime.
  std::string text = DumpJsonWiping(read.data);
  secret.value = SecretValue(text);
  WipeString(text);
  return secret;
}

Result<Secret> VaultProvider::Get(std::string_view name, const VersionSelector& selector) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateVaultName(name));
  LOCKSMITH_RETURN_IF_ERROR(Mount());
  return Explained(GetFromMount(name, selector));
}

Result<Secret> VaultProvider::GetFromMount(std::string_view name, const VersionSelector& selector) {
  std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  if (!selector.version_id.empty()) {
    LOCKSMITH_ASSIGN_OR_RETURN(auto pending, ParsePendingId(selector.version_id));
    if (pending.has_value()) {
      return GetPendingFromMount(name, *pending);
    }
    LOCKSMITH_ASSIGN_OR_RETURN(std::int64_t n, ParseVersionId(selector.version_id));
    LOCKSMITH_ASSIGN_OR_RETURN(Read read, ReadVersion(name, path, n));
    if (!read.live) {
      return MakeError(ErrorCode::kNotFound, "version " + std::to_string(n) + " of secret " +
                                                 Quoted(name) + " is deleted or destroyed");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, MakeSecret(name, read, Stage::kCurrent));
    secret.version.stages.clear();  // which stage it holds is not known without more calls
    return secret;
  }
  switch (selector.stage) {
    case Stage::kCurrent: {
      if (versions_.Contains(path)) {
        // Version-aware refresh: ask which version is current, read it only if not held.
        auto versions = ReadMetadata(name, path);
        if (!versions.ok()) {
          if (versions.error().code == ErrorCode::kNotFound) {
            versions_.Forget(path);
          }
          return std::move(versions).error();
        }
        if (versions->has_value()) {
          auto current = (*versions)->LatestLive();
          if (!current) {
            versions_.Forget(path);
            return MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) +
                                                       " has no live version (all deleted or "
                                                       "destroyed)");
          }
          LOCKSMITH_ASSIGN_OR_RETURN(Read read, ReadVersionCached(name, path, *current));
          if (read.live) {
            return MakeSecret(name, read, Stage::kCurrent);
          }
          // Deleted between the two calls: read the latest live one as below.
        }
      }
      LOCKSMITH_ASSIGN_OR_RETURN(Read read, ReadLatestLive(name, path));
      Remember(path, read);
      return MakeSecret(name, read, Stage::kCurrent);
    }
    case Stage::kPrevious: {
      LOCKSMITH_ASSIGN_OR_RETURN(auto versions, ReadMetadata(name, path));
      if (versions.has_value()) {
        auto current = versions->LatestLive();
        auto previous = current ? versions->LatestLive(*current) : std::nullopt;
        if (!previous) {
          return MakeError(ErrorCode::kNotFound,
                           "secret " + Quoted(name) + " has no previous version");
        }
        LOCKSMITH_ASSIGN_OR_RETURN(Read read, ReadVersionCached(name, path, *previous));
        return MakeSecret(name, read, Stage::kPrevious);
      }
      LOCKSMITH_ASSIGN_OR_RETURN(Read current, ReadLatestLive(name, path));
      auto read = ReadLiveBelow(name, path, current.version);
      if (!read.ok()) {
        if (read.error().code == ErrorCode::kNotFound) {
          return MakeError(ErrorCode::kNotFound,
                           "secret " + Quoted(name) + " has no previous version");
        }
        return std::move(read).error();
      }
      return MakeSecret(name, *read, Stage::kPrevious);
    }
    case Stage::kPending:
      return GetPendingFromMount(name, 0);
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown stage");
}

Result<SecretDescription> VaultProvider::Describe(std::string_view name) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateVaultName(name));
  LOCKSMITH_RETURN_IF_ERROR(Mount());
  return Explained(DescribeFromMount(name));
}

Result<SecretDescription> VaultProvider::DescribeFromMount(std::string_view name) {
  std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  SecretDescription out;
  out.name = std::string(name);
  LOCKSMITH_ASSIGN_OR_RETURN(auto versions, ReadMetadata(name, path));
  // Newest first: a pending version is newer than any of the secret's own.
  LOCKSMITH_ASSIGN_OR_RETURN(std::optional<VersionInfo> pending, DescribePending(name));
  if (pending.has_value()) {
    out.versions.push_back(std::move(*pending));
  }
  if (versions.has_value()) {
    auto current = versions->LatestLive();
    auto previous = current ? versions->LatestLive(*current) : std::nullopt;
    for (const auto& [n, entry] : versions->entries) {
      VersionInfo info;
      info.version_id = std::to_string(n);
      info.created = entry.created;
      if (current && n == *current) {
        info.stages.push_back(Stage::kCurrent);
        out.last_rotated = entry.created;
      } else if (previous && n == *previous) {
        info.stages.push_back(Stage::kPrevious);
      }
      out.versions.push_back(std::move(info));
    }
    return out;
  }
  // Least privilege: only the data path is readable.
  LOCKSMITH_ASSIGN_OR_RETURN(Read current, ReadLatestLive(name, path));
  out.versions.push_back({std::to_string(current.version), {Stage::kCurrent}, current.created});
  out.last_rotated = current.created;
  auto previous = ReadLiveBelow(name, path, current.version);
  if (previous.ok()) {
    out.versions.push_back(
        {std::to_string(previous->version), {Stage::kPrevious}, previous->created});
  } else if (previous.error().code != ErrorCode::kNotFound) {
    return std::move(previous).error();
  }
  return out;
}

Result<void> VaultProvider::ListInto(const std::string& folder, std::string_view prefix,
                                     std::vector<std::string>& out, int depth) {
  if (depth > 16) {
    return OkResult();
  }
  std::string path = JoinSecretPath(ResolvedMount().prefix, folder);
  std::string url = ResolvedMount().mount + "/metadata/" + EncodeVaultPath(path);
  if (!url.ends_with('/')) {
    url += '/';
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("LIST", url));
  if (reply.status == 404) {
    return OkResult();
  }
  if (reply.status != 200) {
    return VaultError(reply, "listing secrets", BackendText::kScrubbed);
  }
  const auto& data = reply.json.is_object() ? reply.json["data"] : reply.json;
  if (!data.is_object() || !data.contains("keys") || !data["keys"].is_array()) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed list answer");
  }
  for (const auto& key : data["keys"]) {
    if (!key.is_string()) {
      continue;
    }
    std::string full = folder + key.get<std::string>();
    if (folder.empty() && (full == std::string(kPendingFolder) + "/" || full == kPendingFolder)) {
      continue;  // the pending versions' siblings, not secrets
    }
    if (full.ends_with('/')) {
      if (full.starts_with(prefix) || prefix.starts_with(full)) {
        LOCKSMITH_RETURN_IF_ERROR(ListInto(full, prefix, out, depth + 1));
      }
    } else if (full.starts_with(prefix)) {
      out.push_back(std::move(full));
    }
  }
  return OkResult();
}

Result<std::vector<std::string>> VaultProvider::List(std::string_view prefix) {
  LOCKSMITH_RETURN_IF_ERROR(Mount());
  std::vector<std::string> out;
  LOCKSMITH_RETURN_IF_ERROR(Explained(ListInto("", prefix, out, 0)));
  std::sort(out.begin(), out.end());
  return out;
}

Result<VersionInfo> VaultProvider::Put(std::string_view name, const SecretValue& value,
                                       Stage stage) {
  if (stage == Stage::kPrevious) {
    return MakeError(ErrorCode::kInvalidArgument, "a new version cannot be put as previous");
  }
  LOCKSMITH_RETURN_IF_ERROR(ValidateVaultName(name));
  if (!IsValidUtf8(value.RevealUnsafe())) {
    // KV v2 keeps values as JSON strings, which hold text only.
    return MakeError(ErrorCode::kInvalidArgument,
                     "the value is not valid UTF-8; Vault stores text (base64-encode binary "
                     "values)");
  }
  LOCKSMITH_RETURN_IF_ERROR(Mount());
  if (stage == Stage::kPending) {
    return Explained(PutPendingToMount(name, value));
  }
  return Explained(PutToMount(name, value));
}

Result<VersionInfo> VaultProvider::PutToMount(std::string_view name, const SecretValue& value) {
  std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  const std::string& field = options_.default_field;

  // Check-and-set against the version seen, so two writers cannot overwrite each other; other
  // fields of the map are kept.
  std::int64_t cas = 0;
  nlohmann::json data = nlohmann::json::object();
  auto latest = ReadVersion(name, path, 0);
  if (latest.ok()) {
    cas = latest->version;
    // Merge whenever Vault served the latest version's data (a deleted or destroyed one comes
    // back as a 404 without it): also when our clock, a little ahead of Vault's, already counts a
    // delete_version_after deletion_time as passed. Losing the other fields is the worse error.
    if (latest->data.is_object()) {
      data = std::move(latest->data);
    }
  } else if (latest.error().code != ErrorCode::kNotFound) {
    return std::move(latest).error();
  }
  data = NextData(std::move(data), field, value.RevealUnsafe());
  nlohmann::json body = {{"data", std::move(data)}, {"options", {{"cas", cas}}}};
  std::string text = DumpJsonWiping(body);
  WipeJsonStrings(body);
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("POST", DataPath(path), std::move(text)));
  std::string what = "writing " + Quoted(name);
  if (reply.status != 200) {
    return VaultError(reply, what, BackendText::kOmit);
  }
  const auto& meta = reply.json.is_object() ? reply.json["data"] : reply.json;
  if (!meta.is_object() || !meta.contains("version")) {
    return MakeError(ErrorCode::kUnavailable, "vault: malformed answer " + what);
  }
  VersionInfo info;
  info.version_id = std::to_string(meta.value("version", std::int64_t{0}));
  info.stages = {Stage::kCurrent};
  info.created = TimeField(meta, "created_time");
  return info;
}

nlohmann::json VaultProvider::NextData(nlohmann::json latest, const std::string& field,
                                       std::string_view value) {
  if (!latest.is_object()) {
    latest = nlohmann::json::object();
  }
  // A map without the field is read whole, as JSON (MakeSecret): a JSON object written back is
  // the new map, so Vault's other readers (templates reading .Data.data.password) see the new
  // fields rather than a `value` field beside stale ones.
  if (!latest.empty() && !latest.contains(field)) {
    nlohmann::json whole = ParseUntrustedJsonOrNull(value);
    if (whole.is_object() && !whole.empty()) {
      WipeJsonStrings(latest);
      return whole;
    }
    WipeJsonStrings(whole);
  }
  latest[field] = std::string(value);
  return latest;
}

Result<void> VaultProvider::PromoteToCurrent(std::string_view name, std::string_view version_id) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateVaultName(name));
  LOCKSMITH_ASSIGN_OR_RETURN(auto pending, ParsePendingId(version_id));
  if (!pending.has_value()) {
    LOCKSMITH_RETURN_IF_ERROR(ParseVersionId(version_id));
  }
  LOCKSMITH_RETURN_IF_ERROR(Mount());
  if (pending.has_value()) {
    return Explained(PromotePendingInMount(name, *pending));
  }
  return Explained(PromoteInMount(name, version_id));
}

Result<void> VaultProvider::PromoteInMount(std::string_view name, std::string_view version_id) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::int64_t n, ParseVersionId(version_id));
  std::string path = JoinSecretPath(ResolvedMount().prefix, name);
  LOCKSMITH_ASSIGN_OR_RETURN(Read latest, ReadVersion(name, path, 0));
  if (latest.live && latest.version == n) {
    return OkResult();
  }
  LOCKSMITH_ASSIGN_OR_RETURN(Read target, ReadVersion(name, path, n));
  if (!target.live) {
    return MakeError(ErrorCode::kNotFound, "version " + std::to_string(n) + " of secret " +
                                               Quoted(name) + " is deleted or destroyed");
  }
  // As `vault kv rollback`: the old version's data becomes a new latest version.
  nlohmann::json body = {{"data", std::move(target.data)}, {"options", {{"cas", latest.version}}}};
  std::string text = DumpJsonWiping(body);
  WipeJsonStrings(body);
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("POST", DataPath(path), std::move(text)));
  if (reply.status != 200) {
    return VaultError(reply, "promoting version " + std::to_string(n) + " of " + Quoted(name),
                      BackendText::kOmit);
  }
  return OkResult();
}

Result<ProviderPtr> CreateVaultProvider(VaultOptions options, HttpClientPtr http, Clock& clock,
                                        Random& random) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      auto provider, VaultProvider::Create(std::move(options), std::move(http), clock, random));
  return ProviderPtr(std::move(provider));
}

}  // namespace locksmith::internal

namespace locksmith {

Result<ProviderPtr> CreateVaultProvider(VaultOptions options, Clock& clock, Random& random) {
  internal::CurlHttpClientOptions http;
  http.connect_timeout = options.connect_timeout;
  http.timeout = options.timeout;
  http.ca_cert = options.tls.ca_cert;
  http.ca_path = options.tls.ca_path;
  http.client_cert = options.tls.client_cert;
  http.client_key = options.tls.client_key;
  http.insecure_skip_verify = options.tls.skip_verify;
  http.allow_plain_http_non_loopback = options.allow_plain_http;
  LOCKSMITH_ASSIGN_OR_RETURN(internal::HttpClientPtr client, internal::CreateCurlHttpClient(http));
  return internal::CreateVaultProvider(std::move(options), std::move(client), clock, random);
}

}  // namespace locksmith
