// Provider: where secrets live (the embedded store, a .env file, Vault, AWS Secrets Manager).
// The runtime (SecretsManager) knows back ends only through this interface.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

// Version stages, as AWS staging labels: AWSCURRENT, AWSPREVIOUS, AWSPENDING.
enum class Stage { kCurrent, kPrevious, kPending };

// "current", "previous", "pending".
std::string_view StageName(Stage stage);
// Accepts "current" / "AWSCURRENT" (any case) and likewise for the others.
std::optional<Stage> ParseStage(std::string_view text);

// Which version to read: a version id if set, else a stage.
struct VersionSelector {
  Stage stage = Stage::kCurrent;
  std::string version_id;

  static VersionSelector Current() { return {}; }
  static VersionSelector AtStage(Stage s) { return {s, {}}; }
  static VersionSelector ById(std::string id) { return {Stage::kCurrent, std::move(id)}; }
  bool operator==(const VersionSelector&) const = default;
};

struct VersionInfo {
  std::string version_id;
  std::vector<Stage> stages;  // empty for a version that has no stage any more
  std::chrono::system_clock::time_point created;

  bool HasStage(Stage s) const;
};

struct Secret {
  std::string name;  // the logical name asked for (no prefix, no #field)
  VersionInfo version;
  SecretValue value;
};

// Everything about a secret except its value.
struct SecretDescription {
  std::string name;
  std::vector<VersionInfo> versions;  // newest first
  std::optional<std::chrono::system_clock::time_point> last_rotated;
};

// Ordered (label, value) pairs about a back end for people to read (`locksmith status`), e.g.
// {"token ttl", "59m58s"}. Never a secret: no token, secret id or value, only facts about them.
using StatusDetailList = std::vector<std::pair<std::string, std::string>>;

// One least-privilege probe (Provider::ProbeLeastPrivilege): whether the credentials may do
// `action` at `target`, a place outside the configured prefix or mount where they should not.
// Probes never read or write a value: Vault is asked for the token's capabilities, AWS gets a
// write to a secret that does not exist.
struct PrivilegeProbe {
  std::string action;     // "write", "list"
  std::string target;     // the path or secret id probed ("secret/data/app/locksmith-check-probe")
  bool allowed = false;   // true: the credentials reach beyond their prefix (too broad)
  bool advisory = false;  // allowed, but no policy can scope it (AWS ListSecrets): a warning
  std::string detail = {};  // what the back end answered ("capabilities: create, read")
};
using PrivilegeProbeList = std::vector<PrivilegeProbe>;

// What a batch read of current versions found (Provider::GetCurrentBatch).
struct BatchResult {
  std::vector<Secret> secrets;                        // the current version of each found name
  std::vector<std::pair<std::string, Error>> errors;  // per name that could not be read
};

// Implementations are thread-safe: every method may be called from any thread at once.
// Names are logical names ("db-encryption-key", "rpc/alchemy-api-key"); each provider maps them
// onto its own paths (prefix, mount). Errors:
//   kNotFound           the secret, or the asked version or stage, does not exist
//   kPermissionDenied   the credentials may not do this (never retried)
//   kUnauthenticated    credentials missing, invalid or expired
//   kUnavailable, kThrottled, kDeadlineExceeded   retryable back-end trouble
//   kInvalidArgument    a malformed name or value
//   kUnimplemented      the back end cannot do this (e.g. writing to a .env file)
class Provider {
 public:
  virtual ~Provider() = default;

  // "local", "dotenv", "vault", "aws".
  virtual std::string_view Kind() const = 0;

  virtual Result<Secret> Get(std::string_view name, const VersionSelector& selector) = 0;
  virtual Result<SecretDescription> Describe(std::string_view name) = 0;
  // Logical names starting with `prefix` (empty: all), sorted.
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;
  // Stores a new version. With kCurrent it becomes current and the old current becomes
  // previous; with kPending it is staged for a later PromoteToCurrent. Creates the secret if new.
  virtual Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) = 0;
  // Makes `version_id` current; the old current becomes previous; a pending label on
  // `version_id` is removed.
  virtual Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) = 0;

  // The current versions of `names` (logical names, no #field), for a start-up preload. A name
  // that cannot be read is reported in `errors` with its error; the call fails as a whole only
  // when the back end cannot be asked at all. Back ends with a batch API override this (AWS:
  // BatchGetSecretValue, 20 names per call); the default reads the names one by one.
  virtual Result<BatchResult> GetCurrentBatch(const std::vector<std::string>& names) {
    BatchResult batch;
    for (const std::string& name : names) {
      Result<Secret> secret = Get(name, VersionSelector::Current());
      if (secret.ok()) {
        batch.secrets.push_back(std::move(secret).value());
      } else {
        batch.errors.emplace_back(name, std::move(secret).error());
      }
    }
    return batch;
  }

  // Facts about the back end and the credentials in use, for `locksmith status` (Vault: the
  // token's TTL left and policies; AWS: endpoint, region, credential source). The default has
  // none. Errors are the provider's (kUnavailable when the back end cannot be reached, ...).
  virtual Result<StatusDetailList> StatusDetails() { return StatusDetailList{}; }

  // For `locksmith check`: probes, without reading or writing any value, whether the credentials
  // may write or list outside the configured prefix (docs/cli.md "check"). kUnimplemented for a
  // back end with no credentials to scope (the default: the embedded store, `.env`); a probe the
  // back end refuses to answer is the provider's error (Vault: kPermissionDenied for a token
  // without the default policy's sys/capabilities-self).
  virtual Result<PrivilegeProbeList> ProbeLeastPrivilege() {
    return MakeError(ErrorCode::kUnimplemented, "this back end has no credentials to scope");
  }
};

using ProviderPtr = std::unique_ptr<Provider>;

}  // namespace locksmith
