// Shared by the re-encryption tests and the crash-loop runner: fixed test keys, a table of
// TEXT ciphertexts filled in one statement, and a check that every row decrypts under its own
// context to what it should hold, on the primary key.
#pragma once

#include <cctype>
#include <map>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/random.h"
#include "locksmith/result.h"

namespace locksmith::reencrypt_test {

// "v1" is the old key, "v2" the new (primary) one.
inline EncryptionKeyMaterial FixedTestKey(const std::string& version) {
  std::string raw = "resilience-test-key-" + version;
  raw.resize(32, '%');
  return {version, SecretValue(internal::Base64Encode(internal::AsBytes(raw)))};
}

// versions[0] is the primary.
inline Result<EncryptionKeyRingPtr> FixedTestRing(const std::vector<std::string>& versions,
                                                  Random& random) {
  std::vector<EncryptionKeyMaterial> keys;
  for (const std::string& version : versions) {
    keys.push_back(FixedTestKey(version));
  }
  return EncryptionKeyRing::FromKeys(std::move(keys), {}, random, nullptr);
}

// A table name of its own per test: `prefix` + the running test's name, lower-cased.
inline std::string PerTestTableName(const std::string& prefix, const std::string& test_name) {
  std::string table = prefix + test_name;
  for (char& c : table) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return table;
}

inline std::string RowContext(const std::string& table, long id) {
  return table + ".enc." + std::to_string(id);
}
inline std::string RowPlaintext(long id) { return "user" + std::to_string(id) + "@example.com"; }

// CREATE TABLE table (id bigint primary key, enc text) with rows 1..rows, each RowPlaintext(id)
// under `ring`'s primary, inserted by one statement.
inline Result<void> CreateEncryptedTable(pqxx::connection& db, const std::string& table, long rows,
                                         EncryptionKeyRing& ring) {
  pqxx::nontransaction txn(db);
  txn.exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, enc text)");
  std::vector<std::string> values;
  values.reserve(static_cast<std::size_t>(rows));
  for (long id = 1; id <= rows; ++id) {
    auto value = ring.EncryptText(internal::AsBytes(RowPlaintext(id)), RowContext(table, id));
    if (!value.ok()) {
      return value.error();
    }
    values.push_back(std::move(*value));
  }
  // Ciphertexts in the "ls1:" form hold no comma, quote or brace: a plain array literal is safe.
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    literal += (i > 0 ? "," : "") + values[i];
  }
  literal += "}";
  txn.exec_params(
      "INSERT INTO " + table + " SELECT ordinality, v FROM unnest($1::text[]) WITH ORDINALITY AS v",
      literal);
  return {};
}

// Every row of `table`: id -> value (all non-NULL in these tests).
inline std::map<long, std::string> ReadTable(pqxx::connection& db, const std::string& table) {
  pqxx::nontransaction txn(db);
  std::map<long, std::string> out;
  for (const auto& row : txn.exec("SELECT id, enc FROM " + table)) {
    out[row[0].as<long>()] = row[1].is_null() ? std::string() : row[1].as<std::string>();
  }
  return out;
}

// Empty when every row is under `ring`'s primary key id and decrypts under its own context to
// expected(id); else a description of the first row that does not (never a value).
template <typename Expected>
std::string CheckAllOnPrimary(const std::map<long, std::string>& rows, const std::string& table,
                              EncryptionKeyRing& ring, Expected expected) {
  const std::string prefix = "ls1:" + ring.PrimaryKeyId() + ":";
  for (const auto& [id, value] : rows) {
    if (value.rfind(prefix, 0) != 0) {
      return "row " + std::to_string(id) + " is not on the primary key";
    }
    auto plaintext = ring.DecryptText(value, RowContext(table, id));
    if (!plaintext.ok()) {
      return "row " + std::to_string(id) + " does not decrypt under its context";
    }
    if (!plaintext->Equals(expected(id))) {
      return "row " + std::to_string(id) + " holds the wrong plaintext";
    }
  }
  return "";
}

}  // namespace locksmith::reencrypt_test
