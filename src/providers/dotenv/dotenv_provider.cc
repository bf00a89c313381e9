// DotenvProvider: secrets from a .env file (and, for the names it sets or an allow-list, the
// process environment), read-only, for development. The file is re-read whenever its inode, size
// or modification time changes, so an edit shows up as a new version (version ids are keyed
// hashes of the content: version_ids.cc).
#include "locksmith/dotenv_provider.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "core/crypto.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"
#include "providers/dotenv/dotenv_internal.h"
#include "providers/dotenv/dotenv_parser.h"

namespace locksmith {
namespace internal {

std::atomic<bool> dotenv_warned{false};

bool DotenvMayReadFromEnvironment(std::string_view var) {
  for (std::string_view reserved : {"LOCKSMITH_", "VAULT_", "AWS_"}) {
    if (var.starts_with(reserved)) {
      return false;
    }
  }
  return true;
}

void ResetDotenvWarningForTest() { dotenv_warned.store(false); }

}  // namespace internal

namespace {

bool IsEnvVarName(std::string_view var) {
  if (var.empty() || std::isdigit(static_cast<unsigned char>(var[0])) != 0) {
    return false;
  }
  return std::all_of(var.begin(), var.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

constexpr std::string_view kReadOnly = "the dotenv back end is read-only; edit the .env file";

std::string ErrnoText(int err) { return std::strerror(err); }

// What identifies one state of the file; any change means a re-read.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};

  bool operator==(const FileStamp& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

class DotenvProvider final : public Provider {
 public:
  DotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock, SecretValue id_key)
      : options_(std::move(options)),
        env_(std::move(env)),
        clock_(clock),
        id_key_(std::move(id_key)) {}

  Result<void> Load() {
    std::lock_guard lock(mu_);
    return ReloadIfChangedLocked();
  }

  std::string_view Kind() const override { return "dotenv"; }

  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, Lookup(name));
    if (!selector.version_id.empty()) {
      if (selector.version_id != secret.version.version_id) {
        return MakeError(ErrorCode::kNotFound,
                         "secret '" + secret.name + "' has no version '" +
                             selector.version_id.substr(0, 64) +
                             "'; the dotenv back end keeps only the current value");
      }
      return secret;
    }
    if (selector.stage != Stage::kCurrent) {
      return MakeError(ErrorCode::kNotFound,
                       "secret '" + secret.name + "' has no " +
                           std::string(StageName(selector.stage)) +
                           " version; the dotenv back end keeps only the current value");
    }
    return secret;
  }

  Result<SecretDescription> Describe(std::string_view name) override {
    LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, Lookup(name));
    SecretDescription description;
    description.name = secret.name;
    description.versions.push_back(std::move(secret.version));
    return description;
  }

  Result<std::vector<std::string>> List(std::string_view prefix) override {
    std::vector<std::string> names;
    {
      std::lock_guard lock(mu_);
      LOCKSMITH_RETURN_IF_ERROR(ReloadIfChangedLocked());
      for (const auto& [key, value] : entries_) {
        // An alias lists as its standard name (DB_PASSWORD -> database-password).
        std::string name = SecretNameForDotenvVariable(key);
        if (name.starts_with(prefix)) {
          names.push_back(std::move(name));
        }
      }
    }
    for (const std::string& var : options_.env_allow) {
      std::optional<SecretValue> value = FromEnvironment(var);
      std::string name = SecretNameForDotenvVariable(var);
      if (value.has_value() && name.starts_with(prefix)) {
        names.push_back(std::move(name));
      }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }

  Result<VersionInfo> Put(std::string_view, const SecretValue&, Stage) override {
    return MakeError(ErrorCode::kUnimplemented, std::string(kReadOnly));
  }

  Result<void> PromoteToCurrent(std::string_view, std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, std::string(kReadOnly));
  }

 private:
  bool Allowed(std::string_view var) const {
    return std::find(options_.env_allow.begin(), options_.env_allow.end(), var) !=
           options_.env_allow.end();
  }

  // `var` from the process environment, if the options let it be read at all.
  std::optional<SecretValue> FromEnvironment(const std::string& var) const {
    if (!options_.use_process_env || !env_ || !internal::DotenvMayReadFromEnvironment(var)) {
      return std::nullopt;
    }
    std::optional<std::string> from_env = env_(var);
    if (!from_env.has_value()) {
      return std::nullopt;
    }
    SecretValue value(*from_env);
    OPENSSL_cleanse(from_env->data(), from_env->size());
    return value;
  }

  // The value of variable `var`, if it may be served: only if the file sets it or the allow-list
  // names it (issue 9: the agent served any variable of its own process); the environment wins
  // over the file for such names.
  std::optional<SecretValue> VariableLocked(const std::string& var) const {
    auto it = entries_.find(var);
    if (it == entries_.end() && !Allowed(var)) {
      return std::nullopt;
    }
    std::optional<SecretValue> value = FromEnvironment(var);
    if (!value.has_value() && it != entries_.end()) {
      value.emplace(it->second.Clone());
    }
    return value;
  }

  // The current value of `name`, from the first of its variables (DotenvVariablesFor: the
  // canonical one, then the aliases, e.g. DATABASE_PASSWORD, DB_PASSWORD) that is set. Two of them
  // set to different values is an error naming both (never the values): which one the service
  // meant cannot be guessed, and serving either could hand it a stale password.
  Result<Secret> Lookup(std::string_view name) {
    LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
    const std::vector<std::string> vars = DotenvVariablesFor(name);
    std::optional<SecretValue> value;
    std::string served_by;
    std::lock_guard lock(mu_);
    LOCKSMITH_RETURN_IF_ERROR(ReloadIfChangedLocked());
    for (const std::string& var : vars) {
      std::optional<SecretValue> candidate = VariableLocked(var);
      if (!candidate.has_value()) {
        continue;
      }
      if (!value.has_value()) {
        value = std::move(candidate);
        served_by = var;
      } else if (!(*value == *candidate)) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "secret '" + std::string(name) + "' is set by both " + served_by +
                             " and " + var + " with different values (in '" +
                             options_.file.string() + "' or the environment); keep only " +
                             vars.front() + ", its standard variable");
      }
    }
    if (!value.has_value()) {
      std::string also;
      for (std::size_t i = 1; i < vars.size(); ++i) {
        also += (i == 1 ? " (or " : ", ") + vars[i] + (i + 1 == vars.size() ? ")" : "");
      }
      return MakeError(ErrorCode::kNotFound,
                       "secret '" + std::string(name) + "' not found: set " + vars.front() + also +
                           " in '" + options_.file.string() +
                           "' (or list it in LOCKSMITH_DOTENV_ALLOW to read it from the "
                           "environment)");
    }
    Secret secret;
    secret.name = std::string(name);
    LOCKSMITH_ASSIGN_OR_RETURN(secret.version.version_id,
                               internal::DotenvVersionId(id_key_, *value));
    secret.version.stages = {Stage::kCurrent};
    // "Created" is when this process first saw this value under this name.
    auto& seen = seen_[secret.name];
    if (seen.first != secret.version.version_id) {
      seen = {secret.version.version_id, clock_.WallNow()};
    }
    secret.version.created = seen.second;
    secret.value = std::move(*value);
    return secret;
  }

  Result<void> ReloadIfChangedLocked() {
    struct stat st {};
    if (::stat(options_.file.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        // A missing file is fine: only the environment is used.
        entries_.clear();
        stamp_.reset();
        return OkResult();
      }
      return MakeError(ErrorCode::kUnavailable,
                       "cannot read .env file '" + options_.file.string() + "': " + ErrnoText(err));
    }
    FileStamp stamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    if (stamp_.has_value() && *stamp_ == stamp) {
      return OkResult();
    }
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue content, internal::ReadDotenvFile(options_.file));
    LOCKSMITH_ASSIGN_OR_RETURN(
        std::vector<internal::DotenvEntry> parsed,
        internal::ParseDotenv(content.RevealUnsafe(), options_.file.string()));
    std::map<std::string, SecretValue> entries;
    for (auto& entry : parsed) {
      // Later assignments win, as when a shell sources the file.
      entries.insert_or_assign(EnvVarNameFor(entry.key), std::move(entry.value));
    }
    entries_ = std::move(entries);
    stamp_ = stamp;
    return OkResult();
  }

  const DotenvOptions options_;
  const EnvLookup env_;
  Clock& clock_;
  const SecretValue id_key_;  // keys the version ids

  std::mutex mu_;
  std::optional<FileStamp> stamp_;              // guarded by mu_; empty: no file read
  std::map<std::string, SecretValue> entries_;  // guarded by mu_; env var name -> value
  std::map<std::string, std::pair<std::string, std::chrono::system_clock::time_point>>
      seen_;  // guarded by mu_; name -> (version id, first seen)
};

}  // namespace

Result<ProviderPtr> CreateDotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock,
                                         Random& random) {
  const bool production = internal::IsProductionAppEnv(options.app_env);
  if (production && !options.allow_in_production) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the dotenv back end is for development and is refused with "
                     "APP_ENV=production; use SECRETS_BACKEND=local, vault or aws, or set "
                     "LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true to override");
  }
  for (const std::string& var : options.env_allow) {
    if (!IsEnvVarName(var) || !internal::DotenvMayReadFromEnvironment(var)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "LOCKSMITH_DOTENV_ALLOW: '" + var +
                           "' is not an environment variable name locksmith may serve (letters, "
                           "digits and '_'; never LOCKSMITH_*, VAULT_* or AWS_*)");
    }
  }
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue id_key,
                             internal::DotenvIdKey(options.version_key_file, random));
  const std::string file = options.file.string();
  auto provider = std::make_unique<DotenvProvider>(std::move(options), std::move(env), clock,
                                                   std::move(id_key));
  LOCKSMITH_RETURN_IF_ERROR(provider->Load());
  if (!internal::dotenv_warned.exchange(true)) {
    Logger()->warn(
        "secrets come from the dotenv back end ('{}'); it is meant for "
        "development only, use SECRETS_BACKEND=local, vault or aws in production",
        file);
  }
  if (production) {
    Logger()->warn(
        "the dotenv back end is running with APP_ENV=production because "
        "LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true");
  }
  return ProviderPtr(std::move(provider));
}

Result<ProviderPtr> CreateDotenvProvider(DotenvOptions options, EnvLookup env, Clock& clock) {
  return CreateDotenvProvider(std::move(options), std::move(env), clock, SystemRandom());
}

}  // namespace locksmith
