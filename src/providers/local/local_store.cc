// The embedded encrypted store (see docs/local-store.md for the file format and guarantees).
#include "locksmith/local_store.h"

#include <openssl/crypto.h>
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "locksmith/naming.h"
#include "providers/local/master_key.h"
#include "providers/local/private_files.h"
#include "providers/local/sqlite.h"

namespace locksmith {
namespace {

using internal::SqliteDatabase;
using internal::SqliteStatement;
using internal::SqliteTransaction;

constexpr std::int64_t kSchemaVersion = 1;
// How long a connection waits for another process (the CLI writing while the agent reads)
// before giving up with kUnavailable. SQLite does the waiting.
constexpr int kBusyTimeoutMs = 5000;
// As AWS Secrets Manager: values up to 64 KiB.
constexpr std::size_t kMaxValueSize = 64 * 1024;
constexpr std::size_t kVersionIdBytes = 16;  // 32 hex characters
constexpr std::string_view kAadPrefix = "locksmith-local-v1";
constexpr std::string_view kKeyCheckPlaintext = "locksmith local store key check v1";

constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE secrets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at_ns INTEGER NOT NULL
);
CREATE TABLE versions (
  id INTEGER PRIMARY KEY,
  secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
  version_id TEXT NOT NULL,
  created_at_ns INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  UNIQUE (secret_id, version_id)
);
CREATE TABLE stages (
  secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
  stage TEXT NOT NULL CHECK (stage IN ('current', 'previous', 'pending')),
  version INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  PRIMARY KEY (secret_id, stage)
);
CREATE INDEX stages_by_version ON stages (version);
)sql";

// "locksmith-local-v1\0<name>\0<version id>": a ciphertext opens only under the name and version
// it was written for, so rows copied or swapped inside the file fail to decrypt.
std::string ValueAad(std::string_view name, std::string_view version_id) {
  std::string aad(kAadPrefix);
  aad.push_back('\0');
  aad.append(name);
  aad.push_back('\0');
  aad.append(version_id);
  return aad;
}

// "locksmith-local-v1\0key-check": one separator, so it can never equal a value's AAD.
std::string KeyCheckAad() { return std::string(kAadPrefix) + '\0' + "key-check"; }

std::int64_t ToNanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromNanos(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

// Version ids come from callers; keep them short and printable in messages.
std::string PrintableId(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, 64)) {
    out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
  if (id.size() > 64) {
    out += "...";
  }
  return out;
}

Error SecretNotFound(std::string_view name) {
  return MakeError(ErrorCode::kNotFound, "secret '" + std::string(name) + "' not found");
}

class LocalStoreProvider final : public Provider {
 public:
  LocalStoreProvider(std::filesystem::path path, std::unique_ptr<SqliteDatabase> db,
                     SecretValue key, Clock& clock, Random& random)
      : path_(std::move(path)),
        db_(std::move(db)),
        key_(std::move(key)),
        clock_(clock),
        random_(random) {}

  // Sets the connection up and creates the schema if the file is new, or checks that `key_`
  // is the key this store was created with.
  Result<void> Initialize();

  std::string_view Kind() const override { return "local"; }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override;
  Result<SecretDescription> Describe(std::string_view name) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override;
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override;

 private:
  Result<bool> HasSchema();
  Result<void> CreateSchema();
  Result<void> VerifyStore();
  // The row id of secret `name`, or nullopt.
  Result<std::optional<std::int64_t>> FindSecret(std::string_view name);
  Result<std::vector<Stage>> StagesOf(std::int64_t version_row);
  // Moves the current label of `secret_id` to `version_row`; the old current becomes previous.
  Result<void> MakeCurrent(std::int64_t secret_id, std::int64_t version_row);
  Result<std::string> NewVersionId();

  const std::filesystem::path path_;
  std::mutex mu_;  // guards db_: one statement at a time on the connection
  std::unique_ptr<SqliteDatabase> db_;
  const SecretValue key_;
  Clock& clock_;
  Random& random_;
};

Result<void> LocalStoreProvider::Initialize() {
  std::lock_guard lock(mu_);
  sqlite3_busy_timeout(db_->handle(), kBusyTimeoutMs);
  LOCKSMITH_RETURN_IF_ERROR(db_->Exec("PRAGMA foreign_keys = ON"));
  {
    LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement wal, db_->Prepare("PRAGMA journal_mode = WAL"));
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, wal.Step());
    if (!row || wal.ColumnText(0) != "wal") {
      return MakeError(ErrorCode::kUnavailable,
                       "local store '" + path_.string() + "': cannot switch to WAL mode");
    }
  }
  LOCKSMITH_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous = FULL"));
  LOCKSMITH_ASSIGN_OR_RETURN(bool has_schema, HasSchema());
  if (!has_schema) {
    LOCKSMITH_RETURN_IF_ERROR(CreateSchema());
  }
  return VerifyStore();
}

Result<bool> LocalStoreProvider::HasSchema() {
  LOCKSMITH_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Query("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
                 std::string_view("schema_version")));
  LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row && stmt.ColumnInt64(0) > 0;
}

Result<void> LocalStoreProvider::CreateSchema() {
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kWrite));
  // Another process may have created it while we waited for the write lock.
  LOCKSMITH_ASSIGN_OR_RETURN(bool has_schema, HasSchema());
  if (has_schema) {
    return OkResult();
  }
  {
    // A SQLite file of some other program: never write our tables into it.
    LOCKSMITH_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_->Prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"));
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row && stmt.ColumnInt64(0) > 0) {
      return MakeError(ErrorCode::kDataLoss,
                       "'" + path_.string() + "' is a database but not a locksmith store");
    }
  }
  LOCKSMITH_RETURN_IF_ERROR(db_->Exec(kSchema));
  LOCKSMITH_RETURN_IF_ERROR(
      db_->Execute("INSERT INTO schema_version (version) VALUES (?)", kSchemaVersion));

  std::array<std::uint8_t, internal::kAesGcmNonceSize> nonce{};
  LOCKSMITH_RETURN_IF_ERROR(random_.Fill(nonce));
  LOCKSMITH_ASSIGN_OR_RETURN(
      std::vector<std::uint8_t> sealed,
      internal::AesGcmSeal(key_, nonce, internal::AsBytes(kKeyCheckPlaintext),
                           internal::AsBytes(KeyCheckAad())));
  // Stored as nonce || ciphertext || tag.
  sealed.insert(sealed.begin(), nonce.begin(), nonce.end());
  LOCKSMITH_RETURN_IF_ERROR(db_->Execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                                         std::string_view("key_check"),
                                         std::span<const std::uint8_t>(sealed)));
  return tx.Commit();
}

Result<void> LocalStoreProvider::VerifyStore() {
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  {
    LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt,
                               db_->Prepare("SELECT max(version) FROM schema_version"));
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    std::int64_t version = row ? stmt.ColumnInt64(0) : 0;
    if (version > kSchemaVersion) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "local store '" + path_.string() + "' has schema version " +
                           std::to_string(version) + ", newer than this locksmith supports (" +
                           std::to_string(kSchemaVersion) + ")");
    }
    if (version < 1) {
      return MakeError(ErrorCode::kDataLoss,
                       "local store '" + path_.string() + "' has no schema version");
    }
  }
  LOCKSMITH_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Query("SELECT value FROM meta WHERE key = ?", std::string_view("key_check")));
  LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return MakeError(ErrorCode::kDataLoss,
                     "local store '" + path_.string() + "' has no master key check");
  }
  auto blob = stmt.ColumnBlob(0);
  if (blob.size() < internal::kAesGcmNonceSize) {
    return MakeError(ErrorCode::kDataLoss,
                     "local store '" + path_.string() + "' has a damaged master key check");
  }
  auto opened = internal::AesGcmOpen(key_, blob.first(internal::kAesGcmNonceSize),
                                     blob.subspan(internal::kAesGcmNonceSize),
                                     internal::AsBytes(KeyCheckAad()));
  if (!opened.ok() || !opened->Equals(kKeyCheckPlaintext)) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "master key does not match this store ('" + path_.string() + "')");
  }
  return tx.Commit();
}

Result<std::optional<std::int64_t>> LocalStoreProvider::FindSecret(std::string_view name) {
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt,
                             db_->Query("SELECT id FROM secrets WHERE name = ?", name));
  LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return std::optional<std::int64_t>();
  }
  return std::optional<std::int64_t>(stmt.ColumnInt64(0));
}

Result<std::vector<Stage>> LocalStoreProvider::StagesOf(std::int64_t version_row) {
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt,
                             db_->Query("SELECT stage FROM stages WHERE version = ?", version_row));
  std::vector<Stage> stages;
  while (true) {
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    auto stage = ParseStage(stmt.ColumnText(0));
    if (!stage) {
      return MakeError(ErrorCode::kDataLoss, "local store has an unknown stage label");
    }
    stages.push_back(*stage);
  }
  std::sort(stages.begin(), stages.end());
  return stages;
}

Result<void> LocalStoreProvider::MakeCurrent(std::int64_t secret_id, std::int64_t version_row) {
  LOCKSMITH_ASSIGN_OR_RETURN(
      SqliteStatement current,
      db_->Query("SELECT version FROM stages WHERE secret_id = ? AND stage = 'current'",
                 secret_id));
  LOCKSMITH_ASSIGN_OR_RETURN(bool has_current, current.Step());
  if (has_current && current.ColumnInt64(0) == version_row) {
    return OkResult();
  }
  if (has_current) {
    // The old previous loses its label; the old current takes it.
    LOCKSMITH_RETURN_IF_ERROR(
        db_->Execute("DELETE FROM stages WHERE secret_id = ? AND stage = 'previous'", secret_id));
    LOCKSMITH_RETURN_IF_ERROR(db_->Execute(
        "UPDATE stages SET stage = 'previous' WHERE secret_id = ? AND stage = 'current'",
        secret_id));
  }
  // A version is never both current and previous (defensive: only reachable without a current).
  LOCKSMITH_RETURN_IF_ERROR(
      db_->Execute("DELETE FROM stages WHERE secret_id = ? AND version = ? AND stage = 'previous'",
                   secret_id, version_row));
  return db_->Execute("INSERT INTO stages (secret_id, stage, version) VALUES (?, 'current', ?)",
                      secret_id, version_row);
}

Result<std::string> LocalStoreProvider::NewVersionId() {
  std::array<std::uint8_t, kVersionIdBytes> raw{};
  LOCKSMITH_RETURN_IF_ERROR(random_.Fill(raw));
  return internal::HexEncode(raw);
}

Result<Secret> LocalStoreProvider::Get(std::string_view name, const VersionSelector& selector) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  std::lock_guard lock(mu_);
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  constexpr std::string_view kColumns =
      "SELECT v.id, v.version_id, v.created_at_ns, v.nonce, v.ciphertext ";
  Result<SqliteStatement> query =
      selector.version_id.empty()
          ? db_->Query(std::string(kColumns) +
                           "FROM stages st JOIN versions v ON v.id = st.version "
                           "JOIN secrets s ON s.id = st.secret_id "
                           "WHERE s.name = ? AND st.stage = ?",
                       name, StageName(selector.stage))
          : db_->Query(std::string(kColumns) +
                           "FROM versions v JOIN secrets s ON s.id = v.secret_id "
                           "WHERE s.name = ? AND v.version_id = ?",
                       name, std::string_view(selector.version_id));
  if (!query.ok()) {
    return std::move(query).error();
  }
  SqliteStatement& stmt = *query;
  LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    LOCKSMITH_ASSIGN_OR_RETURN(auto secret_id, FindSecret(name));
    if (!secret_id) {
      return SecretNotFound(name);
    }
    if (!selector.version_id.empty()) {
      return MakeError(ErrorCode::kNotFound, "secret '" + std::string(name) + "' has no version '" +
                                                 PrintableId(selector.version_id) + "'");
    }
    return MakeError(ErrorCode::kNotFound, "secret '" + std::string(name) + "' has no " +
                                               std::string(StageName(selector.stage)) + " version");
  }
  Secret secret;
  secret.name = std::string(name);
  std::int64_t version_row = stmt.ColumnInt64(0);
  secret.version.version_id = std::string(stmt.ColumnText(1));
  secret.version.created = FromNanos(stmt.ColumnInt64(2));
  auto nonce = stmt.ColumnBlob(3);
  auto opened = internal::AesGcmOpen(key_, nonce, stmt.ColumnBlob(4),
                                     internal::AsBytes(ValueAad(name, secret.version.version_id)));
  if (!opened.ok()) {
    return MakeError(ErrorCode::kDataLoss, "secret '" + std::string(name) + "' version '" +
                                               secret.version.version_id + "': decryption failed");
  }
  secret.value = std::move(opened).value();
  LOCKSMITH_ASSIGN_OR_RETURN(secret.version.stages, StagesOf(version_row));
  LOCKSMITH_RETURN_IF_ERROR(tx.Commit());
  return secret;
}

Result<SecretDescription> LocalStoreProvider::Describe(std::string_view name) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  std::lock_guard lock(mu_);
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kRead));
  LOCKSMITH_ASSIGN_OR_RETURN(auto secret_id, FindSecret(name));
  if (!secret_id) {
    return SecretNotFound(name);
  }
  std::map<std::int64_t, std::vector<Stage>> stages_by_row;
  {
    LOCKSMITH_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_->Query("SELECT version, stage FROM stages WHERE secret_id = ?", *secret_id));
    while (true) {
      LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) {
        break;
      }
      auto stage = ParseStage(stmt.ColumnText(1));
      if (!stage) {
        return MakeError(ErrorCode::kDataLoss, "local store has an unknown stage label");
      }
      stages_by_row[stmt.ColumnInt64(0)].push_back(*stage);
    }
  }
  SecretDescription description;
  description.name = std::string(name);
  // Row ids grow with every insert (versions are never deleted), so they order versions by
  // age even when two share a timestamp.
  LOCKSMITH_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Query("SELECT id, version_id, created_at_ns FROM versions WHERE secret_id = ? "
                 "ORDER BY id DESC",
                 *secret_id));
  std::optional<std::chrono::system_clock::time_point> current_created;
  while (true) {
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    VersionInfo info;
    info.version_id = std::string(stmt.ColumnText(1));
    info.created = FromNanos(stmt.ColumnInt64(2));
    if (auto it = stages_by_row.find(stmt.ColumnInt64(0)); it != stages_by_row.end()) {
      info.stages = it->second;
      std::sort(info.stages.begin(), info.stages.end());
    }
    if (info.HasStage(Stage::kCurrent)) {
      current_created = info.created;
    }
    description.versions.push_back(std::move(info));
  }
  if (description.versions.size() > 1) {
    description.last_rotated = current_created;
  }
  LOCKSMITH_RETURN_IF_ERROR(tx.Commit());
  return description;
}

Result<std::vector<std::string>> LocalStoreProvider::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  // BINARY collation orders as std::string does; names are ASCII.
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteStatement stmt,
                             db_->Prepare("SELECT name FROM secrets ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    std::string_view name = stmt.ColumnText(0);
    if (name.starts_with(prefix)) {
      names.emplace_back(name);
    }
  }
  return names;
}

Result<VersionInfo> LocalStoreProvider::Put(std::string_view name, const SecretValue& value,
                                            Stage stage) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  if (stage == Stage::kPrevious) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a new version can be stored only as current or pending");
  }
  if (value.size() > kMaxValueSize) {
    return MakeError(ErrorCode::kInvalidArgument, "secret '" + std::string(name) + "': value is " +
                                                      std::to_string(value.size()) +
                                                      " bytes, more than the 65536 allowed");
  }
  VersionInfo info;
  LOCKSMITH_ASSIGN_OR_RETURN(info.version_id, NewVersionId());
  info.stages = {stage};
  info.created = clock_.WallNow();
  std::array<std::uint8_t, internal::kAesGcmNonceSize> nonce{};
  LOCKSMITH_RETURN_IF_ERROR(random_.Fill(nonce));
  LOCKSMITH_ASSIGN_OR_RETURN(
      std::vector<std::uint8_t> sealed,
      internal::AesGcmSeal(key_, nonce, value.RevealBytesUnsafe(),
                           internal::AsBytes(ValueAad(name, info.version_id))));

  std::lock_guard lock(mu_);
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kWrite));
  LOCKSMITH_ASSIGN_OR_RETURN(auto secret_id, FindSecret(name));
  if (!secret_id) {
    LOCKSMITH_RETURN_IF_ERROR(db_->Execute(
        "INSERT INTO secrets (name, created_at_ns) VALUES (?, ?)", name, ToNanos(info.created)));
    secret_id = db_->LastInsertRowId();
  }
  LOCKSMITH_RETURN_IF_ERROR(
      db_->Execute("INSERT INTO versions (secret_id, version_id, created_at_ns, nonce, ciphertext) "
                   "VALUES (?, ?, ?, ?, ?)",
                   *secret_id, std::string_view(info.version_id), ToNanos(info.created),
                   std::span<const std::uint8_t>(nonce), std::span<const std::uint8_t>(sealed)));
  std::int64_t version_row = db_->LastInsertRowId();
  if (stage == Stage::kCurrent) {
    LOCKSMITH_RETURN_IF_ERROR(MakeCurrent(*secret_id, version_row));
  } else {
    LOCKSMITH_RETURN_IF_ERROR(
        db_->Execute("DELETE FROM stages WHERE secret_id = ? AND stage = 'pending'", *secret_id));
    LOCKSMITH_RETURN_IF_ERROR(
        db_->Execute("INSERT INTO stages (secret_id, stage, version) VALUES (?, 'pending', ?)",
                     *secret_id, version_row));
  }
  LOCKSMITH_RETURN_IF_ERROR(tx.Commit());
  return info;
}

Result<void> LocalStoreProvider::PromoteToCurrent(std::string_view name,
                                                  std::string_view version_id) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateSecretName(name));
  std::lock_guard lock(mu_);
  LOCKSMITH_ASSIGN_OR_RETURN(SqliteTransaction tx,
                             SqliteTransaction::Begin(*db_, SqliteTransaction::Mode::kWrite));
  LOCKSMITH_ASSIGN_OR_RETURN(auto secret_id, FindSecret(name));
  if (!secret_id) {
    return SecretNotFound(name);
  }
  LOCKSMITH_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Query("SELECT id FROM versions WHERE secret_id = ? AND version_id = ?", *secret_id,
                 version_id));
  LOCKSMITH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return MakeError(ErrorCode::kNotFound, "secret '" + std::string(name) + "' has no version '" +
                                               PrintableId(version_id) + "'");
  }
  std::int64_t version_row = stmt.ColumnInt64(0);
  LOCKSMITH_RETURN_IF_ERROR(
      db_->Execute("DELETE FROM stages WHERE secret_id = ? AND version = ? AND stage = 'pending'",
                   *secret_id, version_row));
  LOCKSMITH_RETURN_IF_ERROR(MakeCurrent(*secret_id, version_row));
  return tx.Commit();
}

}  // namespace

Result<ProviderPtr> CreateLocalStoreProvider(LocalStoreOptions options, Clock& clock,
                                             Random& random) {
  if (options.store_path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "local store: no store path given");
  }
  LOCKSMITH_ASSIGN_OR_RETURN(SecretValue key, internal::LoadMasterKey(options, random));
  const std::filesystem::path& path = options.store_path;
  LOCKSMITH_RETURN_IF_ERROR(internal::CreatePrivateDirectories(path.parent_path()));
  LOCKSMITH_RETURN_IF_ERROR(internal::CreatePrivateFileIfMissing(path));
  LOCKSMITH_ASSIGN_OR_RETURN(auto db, internal::SqliteDatabase::Open(path));
  auto provider =
      std::make_unique<LocalStoreProvider>(path, std::move(db), std::move(key), clock, random);
  LOCKSMITH_RETURN_IF_ERROR(provider->Initialize());
  return ProviderPtr(std::move(provider));
}

std::filesystem::path DefaultLocalStorePath() {
  const std::filesystem::path kTail = std::filesystem::path("locksmith") / "secrets.db";
  // XDG says relative values are invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / kTail;
  }
  std::filesystem::path home;
  if (const char* env = std::getenv("HOME"); env != nullptr && env[0] != '\0') {
    home = env;
  } else {
    struct passwd pw {};
    struct passwd* result = nullptr;
    std::array<char, 4096> buffer{};
    if (getpwuid_r(getuid(), &pw, buffer.data(), buffer.size(), &result) == 0 &&
        result != nullptr && result->pw_dir != nullptr) {
      home = result->pw_dir;
    }
  }
  return home / ".local" / "share" / kTail;
}

}  // namespace locksmith
