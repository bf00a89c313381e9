// Shared helpers for the local store tests: a fixture that opens stores in a temp dir, and raw
// SQLite access for tests that tamper with the file behind the provider's back.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "locksmith/local_store.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith::testing {

// base64 of 32 bytes of `fill`.
inline std::string TestKeyBase64(char fill) {
  return internal::Base64Encode(internal::AsBytes(std::string(32, fill)));
}

// Runs one statement on a separate raw connection; `blob`, if given, is bound to parameter 1.
inline void RawExec(const std::filesystem::path& db_path, const std::string& sql,
                    const std::vector<std::uint8_t>* blob = nullptr) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  if (blob != nullptr) {
    sqlite3_bind_blob(stmt, 1, blob->data(), static_cast<int>(blob->size()), SQLITE_TRANSIENT);
  }
  int rc = sqlite3_step(stmt);
  EXPECT_TRUE(rc == SQLITE_DONE || rc == SQLITE_ROW) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// The first column of the first row of `sql` as bytes (empty if no row).
inline std::vector<std::uint8_t> RawQueryBlob(const std::filesystem::path& db_path,
                                              const std::string& sql) {
  std::vector<std::uint8_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, 0));
    out.assign(data, data + sqlite3_column_bytes(stmt, 0));
  } else {
    ADD_FAILURE() << "query failed: " << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

inline std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class LocalStoreTestBase : public ::testing::Test {
 protected:
  std::filesystem::path StorePath() const { return dir_.path() / "data" / "secrets.db"; }

  LocalStoreOptions KeyOptions(char key_fill = 'k') const {
    LocalStoreOptions options;
    options.store_path = StorePath();
    options.master_key_base64 = SecretValue(TestKeyBase64(key_fill));
    return options;
  }

  Result<ProviderPtr> Create(LocalStoreOptions options) {
    return CreateLocalStoreProvider(std::move(options), clock_, random_);
  }

  // Opens the store with the default test key; fails the test if it cannot.
  ProviderPtr Open(char key_fill = 'k') {
    auto provider = Create(KeyOptions(key_fill));
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  TempDir dir_;
  FakeClock clock_;
  FakeRandom random_;
};

}  // namespace locksmith::testing
