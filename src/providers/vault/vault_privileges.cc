// VaultProvider::ProbeLeastPrivilege: what the token may do outside VAULT_MOUNT_PATH's prefix,
// asked of Vault itself (POST sys/capabilities-self, api-docs/system/capabilities-self), so no
// secret is read or written. Vault's built-in default policy lets every token ask this.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "locksmith/naming.h"
#include "providers/vault/vault_provider_internal.h"

namespace locksmith::internal {
namespace {

// A name no deployment uses; capabilities-self never creates anything there.
constexpr std::string_view kProbeName = "locksmith-check-probe";

struct VaultProbePath {
  std::string action;               // "write", "list"
  std::string path;                 // under /v1/, as a policy names it
  std::set<std::string> too_broad;  // any of these capabilities there fails the probe
};

// The parent of "a/b/c" is "a/b"; of "a", "".
std::string ParentOf(std::string_view prefix) {
  const std::size_t slash = prefix.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(prefix.substr(0, slash));
}

std::vector<VaultProbePath> ProbePathsFor(const VaultMountPath& mount) {
  // Anything that reaches a value: reading another deployment's secrets is as wrong as writing.
  const std::set<std::string> data_caps = {"create", "update", "patch", "delete",
                                           "read",   "sudo",   "root"};
  const std::set<std::string> list_caps = {"list", "sudo", "root"};
  std::vector<VaultProbePath> paths;
  // A sibling of the prefix (secret/data/app/production -> secret/data/app/<probe>): a policy
  // on the parent (app/*) also reaches staging.
  paths.push_back(
      {"write",
       mount.mount + "/data/" + JoinSecretPath(ParentOf(mount.prefix), std::string(kProbeName)),
       data_caps});
  if (!mount.prefix.empty()) {
    // The prefix followed by more characters (app/production-<probe>): a policy written as
    // "app/production*" without the slash also grants app/production-old.
    paths.push_back({"write", mount.mount + "/data/" + mount.prefix + "-" + std::string(kProbeName),
                     data_caps});
    // Listing the mount's root shows every deployment's secret names.
    paths.push_back({"list", mount.mount + "/metadata/", list_caps});
  }
  // Another mount: a policy on "*" or "+/data/*" reaches every secrets engine.
  paths.push_back({"write", std::string(kProbeName) + "/data/probe", data_caps});
  return paths;
}

}  // namespace

Result<PrivilegeProbeList> VaultProvider::ProbeLeastPrivilege() {
  LOCKSMITH_ASSIGN_OR_RETURN(const VaultMountPath* mount, Mount());
  const std::vector<VaultProbePath> probes = ProbePathsFor(*mount);
  nlohmann::json body = {{"paths", nlohmann::json::array()}};
  for (const VaultProbePath& probe : probes) {
    body["paths"].push_back(probe.path);
  }
  LOCKSMITH_ASSIGN_OR_RETURN(VaultReply reply, Call("POST", "sys/capabilities-self", body.dump()));
  if (reply.status != 200) {
    return VaultError(reply, "asking the token's capabilities (sys/capabilities-self)",
                      BackendText::kOmit);
  }
  // Vault answers each path under "data" (and, for older clients, at the top level too).
  const nlohmann::json& data =
      reply.json.is_object() && reply.json.contains("data") && reply.json["data"].is_object()
          ? reply.json["data"]
          : reply.json;
  PrivilegeProbeList result;
  for (const VaultProbePath& probe : probes) {
    auto it = data.is_object() ? data.find(probe.path) : data.end();
    if (it == data.end() || !it->is_array()) {
      return MakeError(ErrorCode::kUnavailable,
                       "sys/capabilities-self answered without the path '" + probe.path + "'");
    }
    std::vector<std::string> caps;
    for (const auto& cap : *it) {
      if (cap.is_string()) {
        caps.push_back(cap.get<std::string>());
      }
    }
    std::sort(caps.begin(), caps.end());
    PrivilegeProbe out{probe.action, probe.path};
    std::string listed;
    for (const std::string& cap : caps) {
      listed += (listed.empty() ? "" : ", ") + cap;
      out.allowed = out.allowed || probe.too_broad.count(cap) > 0;
    }
    out.detail = "capabilities: " + (listed.empty() ? std::string("none") : listed);
    result.push_back(std::move(out));
  }
  return result;
}

}  // namespace locksmith::internal
