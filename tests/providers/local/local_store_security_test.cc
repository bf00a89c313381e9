// What the local store must guarantee about its file and its key: no plaintext on disk,
// tampering and wrong keys detected, key files private, no secret in any error text.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "providers/local/local_store_test_util.h"
#include "providers/local/master_key.h"
#include "providers/local/sqlite.h"

namespace locksmith::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LocalStoreSecurityTest : public LocalStoreTestBase {
 protected:
  // Every byte of every file under the temp dir, concatenated.
  std::string AllFileBytes() const {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) {
        all += ReadFileBytes(entry.path());
      }
    }
    return all;
  }

  void WriteKeyFile(const std::filesystem::path& path, const std::string& content, mode_t mode) {
    std::ofstream(path) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
};

TEST_F(LocalStoreSecurityTest, NoPlaintextInAnyFile) {
  const std::string planted = "PLANTED-plaintext-7c1f9e-do-not-store";
  std::string version_id;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    auto put = store->Put("db-password", SecretValue(planted), Stage::kCurrent);
    ASSERT_THAT(put, IsOk());
    version_id = put->version_id;
    ASSERT_THAT(store->Put("db-password", SecretValue(planted + "-pending"), Stage::kPending),
                IsOk());
    // While the store is open the data sits in the -wal file; scan it there.
    ASSERT_TRUE(std::filesystem::exists(StorePath().string() + "-wal"));
    std::string bytes = AllFileBytes();
    // The write really reached the files (the version id is stored in clear)...
    EXPECT_THAT(bytes, HasSubstr(version_id));
    // ...but the value did not.
    EXPECT_THAT(bytes, Not(HasSubstr(planted)));
  }
  // After close (checkpointed into the main file).
  std::string bytes = AllFileBytes();
  EXPECT_THAT(bytes, HasSubstr(version_id));
  EXPECT_THAT(bytes, Not(HasSubstr(planted)));
  EXPECT_THAT(bytes, Not(HasSubstr(TestKeyBase64('k'))));
}

TEST_F(LocalStoreSecurityTest, WrongMasterKeyIsPermissionDenied) {
  {
    auto store = Open('k');
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Put("x", SecretValue("value"), Stage::kCurrent), IsOk());
  }
  auto wrong = Create(KeyOptions('w'));
  ASSERT_THAT(
      wrong, HasErrorMessage(ErrorCode::kPermissionDenied, "master key does not match this store"));
  EXPECT_THAT(wrong.error().message, Not(HasSubstr(TestKeyBase64('w'))));
  // The right key still works.
  auto store = Open('k');
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Get("x", VersionSelector::Current()), IsOk());
}

TEST_F(LocalStoreSecurityTest, CorruptedCiphertextIsDataLoss) {
  const std::string planted = "PLANTED-corrupt-4411";
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto put = store->Put("victim", SecretValue(planted), Stage::kCurrent);
  ASSERT_THAT(put, IsOk());
  std::string where = " WHERE version_id = '" + put->version_id + "'";
  auto blob = RawQueryBlob(StorePath(), "SELECT ciphertext FROM versions" + where);
  ASSERT_EQ(blob.size(), planted.size() + 16);
  blob[3] ^= 0x01;
  RawExec(StorePath(), "UPDATE versions SET ciphertext = ?" + where, &blob);

  auto got = store->Get("victim", VersionSelector::Current());
  ASSERT_THAT(got, HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));
  EXPECT_THAT(got.error().message, Not(HasSubstr(planted)));
  // Same for a damaged nonce.
  blob[3] ^= 0x01;
  RawExec(StorePath(), "UPDATE versions SET ciphertext = ?" + where, &blob);
  ASSERT_THAT(store->Get("victim", VersionSelector::Current()), IsOk());
  std::vector<std::uint8_t> short_nonce(5, 0);
  RawExec(StorePath(), "UPDATE versions SET nonce = ?" + where, &short_nonce);
  EXPECT_THAT(store->Get("victim", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));
}

TEST_F(LocalStoreSecurityTest, CiphertextMovedToAnotherNameOrVersionIsDataLoss) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto a = store->Put("alpha", SecretValue("PLANTED-alpha-value"), Stage::kCurrent);
  auto b = store->Put("beta", SecretValue("PLANTED-beta-value"), Stage::kCurrent);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  // Copy beta's sealed value (nonce and ciphertext) over alpha's.
  RawExec(StorePath(),
          "UPDATE versions SET "
          "nonce = (SELECT nonce FROM versions WHERE version_id = '" +
              b->version_id +
              "'), "
              "ciphertext = (SELECT ciphertext FROM versions WHERE version_id = '" +
              b->version_id + "') WHERE version_id = '" + a->version_id + "'");
  auto got = store->Get("alpha", VersionSelector::Current());
  ASSERT_THAT(got, HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));
  EXPECT_THAT(got.error().message, Not(HasSubstr("PLANTED")));

  // Moving a version row to another secret keeps its version id but changes the name bound in.
  RawExec(StorePath(),
          "UPDATE versions SET secret_id = (SELECT id FROM secrets WHERE name = "
          "'alpha') WHERE version_id = '" +
              b->version_id + "'");
  EXPECT_THAT(store->Get("alpha", VersionSelector::ById(b->version_id)),
              HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));

  // Same name, another version: relabelling a version id breaks the binding too.
  auto c1 = store->Put("gamma", SecretValue("PLANTED-gamma-1"), Stage::kCurrent);
  ASSERT_THAT(c1, IsOk());
  RawExec(StorePath(),
          "UPDATE versions SET version_id = 'ffffffffffffffffffffffffffffffff' WHERE version_id "
          "= '" +
              c1->version_id + "'");
  EXPECT_THAT(store->Get("gamma", VersionSelector::Current()),
              HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));
}

TEST_F(LocalStoreSecurityTest, KeyFileIsCreatedPrivateOnFirstUse) {
  auto key_path = dir_.path() / "keys" / "master.key";
  {
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_file = key_path;
    auto store = Create(std::move(options));
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->Put("x", SecretValue("value-x"), Stage::kCurrent), IsOk());
  }
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(key_path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string content = ReadFileBytes(key_path);
  ASSERT_FALSE(content.empty());
  EXPECT_EQ(content.back(), '\n');
  auto decoded = internal::Base64Decode(content.substr(0, content.size() - 1));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->size(), 32u);
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(key_path.parent_path()),
                          std::filesystem::directory_iterator()),
            1);

  // Reopening reads the same key.
  LocalStoreOptions again;
  again.store_path = StorePath();
  again.master_key_file = key_path;
  auto store = Create(std::move(again));
  ASSERT_THAT(store, IsOk());
  auto got = (*store)->Get("x", VersionSelector::Current());
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->value.Equals("value-x"));
  // And the same key given directly opens the store as well.
  LocalStoreOptions direct;
  direct.store_path = StorePath();
  direct.master_key_base64 = SecretValue(content);
  EXPECT_THAT(Create(std::move(direct)), IsOk());
}

TEST_F(LocalStoreSecurityTest, KeyFileReadableByOthersIsRefused) {
  auto key_path = dir_.path() / "loose.key";
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    SCOPED_TRACE(mode);
    WriteKeyFile(key_path, TestKeyBase64('k') + "\n", mode);
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_file = key_path;
    auto store = Create(std::move(options));
    ASSERT_THAT(store, HasError(ErrorCode::kPermissionDenied));
    EXPECT_THAT(store.error().message, HasSubstr(key_path.string()));
    EXPECT_THAT(store.error().message, HasSubstr("chmod 600"));
    EXPECT_THAT(store.error().message, Not(HasSubstr(TestKeyBase64('k'))));
  }
  // Fixing the mode fixes the error; 0400 is fine too.
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(key_path.c_str(), mode), 0);
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_file = key_path;
    EXPECT_THAT(Create(std::move(options)), IsOk());
  }
}

// Issue 9: a symbolic link to someone else's 0600 key in a 1777 directory was accepted. Only
// this user's own regular file, in a directory others cannot write to, is trusted.
TEST_F(LocalStoreSecurityTest, KeyFileMustBeOurOwnRegularFileNotASymlink) {
  auto real = dir_.path() / "real.key";
  WriteKeyFile(real, TestKeyBase64('k') + "\n", 0600);
  auto open_with = [&](const std::filesystem::path& key_path) {
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_file = key_path;
    return Create(std::move(options));
  };
  ASSERT_THAT(open_with(real), IsOk());

  auto link = dir_.path() / "link.key";
  std::filesystem::create_symlink(real, link);
  auto linked = open_with(link);
  ASSERT_THAT(linked, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(linked.error().message, HasSubstr("symbolic link"));
  EXPECT_THAT(linked.error().message, HasSubstr(link.string()));

  if (::geteuid() == 0) {  // only root can give a file away
    auto theirs = dir_.path() / "theirs.key";
    WriteKeyFile(theirs, TestKeyBase64('t') + "\n", 0600);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    auto foreign = open_with(theirs);
    ASSERT_THAT(foreign, HasError(ErrorCode::kPermissionDenied));
    EXPECT_THAT(foreign.error().message, HasSubstr("owned by uid 65534"));
    EXPECT_THAT(foreign.error().message, Not(HasSubstr(TestKeyBase64('t'))));
  }

  // A directory others may write to (not sticky) could have its key swapped: refused. The same
  // directory with the sticky bit (like /tmp) is fine for our own file.
  auto shared = dir_.path() / "shared";
  std::filesystem::create_directory(shared);
  WriteKeyFile(shared / "k.key", TestKeyBase64('k') + "\n", 0600);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  auto writable = open_with(shared / "k.key");
  ASSERT_THAT(writable, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(writable.error().message, HasSubstr("chmod go-w"));
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  EXPECT_THAT(open_with(shared / "k.key"), IsOk());
}

TEST_F(LocalStoreSecurityTest, MalformedMasterKeyIsInvalidAndNotEchoed) {
  const std::string bad_values[] = {
      "PLANTEDnotbase64!!!",
      internal::Base64Encode(internal::AsBytes("PLANTED-16-bytes")),  // 16 bytes
      internal::Base64Encode(internal::AsBytes(std::string(33, 'P'))),
      "",
  };
  for (const auto& bad : bad_values) {
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_base64 = SecretValue(bad);
    auto store = Create(std::move(options));
    ASSERT_THAT(store, HasErrorMessage(ErrorCode::kInvalidArgument, "32 bytes"));
    EXPECT_THAT(store.error().message, Not(HasSubstr("PLANTED")));
    if (!bad.empty()) {
      EXPECT_THAT(store.error().message, Not(HasSubstr(bad)));
    }
  }
  // The same through a key file.
  auto key_path = dir_.path() / "bad.key";
  WriteKeyFile(key_path, "PLANTEDnotbase64!!!\n", 0600);
  LocalStoreOptions options;
  options.store_path = StorePath();
  options.master_key_file = key_path;
  auto store = Create(std::move(options));
  ASSERT_THAT(store, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store.error().message, Not(HasSubstr("PLANTED")));
  // An oversized key file.
  WriteKeyFile(key_path, std::string(10000, 'A'), 0600);
  LocalStoreOptions big;
  big.store_path = StorePath();
  big.master_key_file = key_path;
  EXPECT_THAT(Create(std::move(big)), HasError(ErrorCode::kInvalidArgument));
  // Surrounding whitespace is fine.
  LocalStoreOptions padded;
  padded.store_path = StorePath();
  padded.master_key_base64 = SecretValue("  " + TestKeyBase64('k') + "\r\n");
  EXPECT_THAT(Create(std::move(padded)), IsOk());
}

TEST_F(LocalStoreSecurityTest, ExactlyOneKeySourceIsRequired) {
  LocalStoreOptions neither;
  neither.store_path = StorePath();
  EXPECT_THAT(Create(std::move(neither)), HasError(ErrorCode::kInvalidArgument));
  LocalStoreOptions both = KeyOptions();
  both.master_key_file = dir_.path() / "k";
  EXPECT_THAT(Create(std::move(both)), HasError(ErrorCode::kInvalidArgument));
}

TEST_F(LocalStoreSecurityTest, KeyFileThatIsADirectoryOrUnreadableFails) {
  auto dir_key = dir_.path() / "dir.key";
  std::filesystem::create_directory(dir_key);
  ::chmod(dir_key.c_str(), 0700);
  LocalStoreOptions options;
  options.store_path = StorePath();
  options.master_key_file = dir_key;
  EXPECT_THAT(Create(std::move(options)), HasError(ErrorCode::kInvalidArgument));

  if (::geteuid() != 0) {  // root reads anything
    auto locked = dir_.path() / "locked.key";
    WriteKeyFile(locked, TestKeyBase64('k'), 0000);
    LocalStoreOptions locked_options;
    locked_options.store_path = StorePath();
    locked_options.master_key_file = locked;
    EXPECT_THAT(Create(std::move(locked_options)), HasError(ErrorCode::kPermissionDenied));
  }
}

TEST_F(LocalStoreSecurityTest, FileThatIsNotADatabaseIsDataLoss) {
  std::filesystem::create_directories(StorePath().parent_path());
  std::ofstream(StorePath()) << std::string(4096, 'g') << "this is not sqlite";
  EXPECT_THAT(Create(KeyOptions()), HasError(ErrorCode::kDataLoss));
}

TEST_F(LocalStoreSecurityTest, ForeignDatabaseIsRefusedAndLeftAlone) {
  std::filesystem::create_directories(StorePath().parent_path());
  RawExec(StorePath(), "CREATE TABLE customers (id INTEGER PRIMARY KEY)");
  EXPECT_THAT(Create(KeyOptions()), HasErrorMessage(ErrorCode::kDataLoss, "not a locksmith store"));
  auto tables = RawQueryBlob(StorePath(), "SELECT group_concat(name) FROM sqlite_schema");
  EXPECT_EQ(std::string(tables.begin(), tables.end()), "customers");
}

TEST_F(LocalStoreSecurityTest, NewerSchemaIsRefused) {
  { ASSERT_NE(Open(), nullptr); }
  RawExec(StorePath(), "UPDATE schema_version SET version = 99");
  EXPECT_THAT(Create(KeyOptions()), HasErrorMessage(ErrorCode::kFailedPrecondition, "99"));
}

TEST_F(LocalStoreSecurityTest, MissingOrDamagedKeyCheckIsDataLoss) {
  { ASSERT_NE(Open(), nullptr); }
  std::vector<std::uint8_t> tiny(3, 1);
  RawExec(StorePath(), "UPDATE meta SET value = ? WHERE key = 'key_check'", &tiny);
  EXPECT_THAT(Create(KeyOptions()), HasError(ErrorCode::kDataLoss));
  RawExec(StorePath(), "DELETE FROM meta");
  EXPECT_THAT(Create(KeyOptions()), HasErrorMessage(ErrorCode::kDataLoss, "key check"));
}

TEST_F(LocalStoreSecurityTest, UnknownStageLabelIsDataLoss) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("x", SecretValue("v"), Stage::kCurrent), IsOk());
  // The CHECK constraint forbids this; bypass it as a damaged file would.
  RawExec(StorePath(),
          "PRAGMA ignore_check_constraints = ON; "
          "UPDATE stages SET stage = 'bogus'");
  // RawExec runs only the first statement; do it in one go instead.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(StorePath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA ignore_check_constraints = ON; "
                         "UPDATE stages SET stage = 'bogus'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THAT(store->Describe("x"), HasError(ErrorCode::kDataLoss));
}

TEST_F(LocalStoreSecurityTest, ErrorTextNeverContainsPlantedValues) {
  const std::string planted = "PLANTED-error-text-5fd2a8";
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto put = store->Put("watched", SecretValue(planted), Stage::kCurrent);
  ASSERT_THAT(put, IsOk());
  std::vector<Error> errors;
  auto collect = [&errors](const auto& result) {
    if (!result.ok()) {
      errors.push_back(result.error());
    }
  };
  collect(store->Get("watched", VersionSelector::AtStage(Stage::kPrevious)));
  collect(store->Get("watched", VersionSelector::ById("nope")));
  collect(store->PromoteToCurrent("watched", "nope"));
  collect(store->Put("watched", SecretValue(planted), Stage::kPrevious));
  collect(store->Put("watched", SecretValue(planted + std::string(70000, 'x')), Stage::kCurrent));
  auto blob = RawQueryBlob(StorePath(), "SELECT ciphertext FROM versions");
  blob[0] ^= 0xff;
  RawExec(StorePath(), "UPDATE versions SET ciphertext = ?", &blob);
  collect(store->Get("watched", VersionSelector::Current()));
  collect(Create(KeyOptions('z')));
  ASSERT_EQ(errors.size(), 7u);
  for (const auto& error : errors) {
    EXPECT_THAT(error.message, Not(HasSubstr(planted)));
    EXPECT_THAT(error.message, Not(HasSubstr(TestKeyBase64('k'))));
    EXPECT_THAT(error.message, Not(HasSubstr(TestKeyBase64('z'))));
  }
}

TEST(SqliteErrorTest, MapsResultCodes) {
  using internal::SqliteError;
  EXPECT_EQ(SqliteError(nullptr, SQLITE_BUSY, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_BUSY_SNAPSHOT, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_LOCKED, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CANTOPEN, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_IOERR_FSYNC, "x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CORRUPT, "x").code, ErrorCode::kDataLoss);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_NOTADB, "x").code, ErrorCode::kDataLoss);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_READONLY, "x").code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CONSTRAINT_UNIQUE, "x").code, ErrorCode::kAborted);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_MISUSE, "x").code, ErrorCode::kInternal);
  EXPECT_THAT(SqliteError(nullptr, SQLITE_BUSY, "writing").message,
              HasSubstr("local store: writing: database is locked"));
}

TEST_F(LocalStoreSecurityTest, BusyDatabaseIsUnavailable) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // Hold the write lock from another connection; a writer with no busy timeout fails at once.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(StorePath().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto db = internal::SqliteDatabase::Open(StorePath());
  ASSERT_THAT(db, IsOk());
  auto begin = internal::SqliteTransaction::Begin(**db, internal::SqliteTransaction::Mode::kWrite);
  EXPECT_THAT(begin, HasError(ErrorCode::kUnavailable));
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_THAT(internal::SqliteTransaction::Begin(**db, internal::SqliteTransaction::Mode::kWrite),
              IsOk());
}

TEST_F(LocalStoreSecurityTest, StorePathThatIsADirectoryIsUnavailable) {
  // A directory where the file should be cannot be opened, by anyone.
  std::filesystem::create_directories(StorePath());
  EXPECT_THAT(Create(KeyOptions()), HasError(ErrorCode::kUnavailable));
}

TEST_F(LocalStoreSecurityTest, UnwritableDirectoryIsPermissionDenied) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions";
  }
  auto locked_dir = dir_.path() / "locked";
  ASSERT_EQ(::mkdir(locked_dir.c_str(), 0500), 0);
  LocalStoreOptions options = KeyOptions();
  options.store_path = locked_dir / "secrets.db";
  EXPECT_THAT(Create(std::move(options)), HasError(ErrorCode::kPermissionDenied));
  ::chmod(locked_dir.c_str(), 0700);
}

}  // namespace
}  // namespace locksmith::testing
