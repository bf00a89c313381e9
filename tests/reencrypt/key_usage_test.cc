// VerifyKeyUsage against a real PostgreSQL: rows per key id (TEXT and BYTEA), keys in and out of
// the ring, NULL / plaintext / unknown-format counts, undecryptable rows found by decrypting, and
// a role with SELECT only is enough.
#include "locksmith/key_usage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "core/crypto.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "reencrypt/reencrypt_test_util.h"
#include "reencrypt/shared_cluster_test.h"
#include "support/postgres_cluster.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using testing::IsOk;

class KeyUsageTest : public reencrypt_test::SharedClusterTest {
 protected:
  KeyUsageTest() : SharedClusterTest("u_") {}

  void SetUp() override {
    SharedClusterTest::SetUp();
    if (HasFatalFailure()) {
      return;
    }
    v1_ = MakeRing({"v1"});
    v2_ = MakeRing({"v2", "v1"});
    v3_only_ = MakeRing({"v3"});
  }

  EncryptionKeyRingPtr MakeRing(const std::vector<std::string>& versions) {
    auto ring = reencrypt_test::FixedTestRing(versions, random_);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }

  void Exec(const std::string& sql) {
    pqxx::nontransaction txn(*db_);
    txn.exec(sql);
  }
  std::string Context(long id) const { return table_ + ".enc." + std::to_string(id); }
  void Insert(long id, const std::optional<std::string>& text) {
    pqxx::nontransaction txn(*db_);
    if (text) {
      txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, $2)", id, *text);
    } else {
      txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, NULL)", id);
    }
  }
  std::string EncryptText(EncryptionKeyRing& ring, long id, long context_id) {
    auto value = ring.EncryptText(internal::AsBytes("user" + std::to_string(id) + "@example.com"),
                                  Context(context_id));
    EXPECT_THAT(value, IsOk());
    return *value;
  }
  ReencryptionOptions Options() const {
    ReencryptionOptions options;
    options.table = table_;
    options.column = "enc";
    options.batch_size = 3;
    return options;
  }

  testing::FakeRandom random_;
  EncryptionKeyRingPtr v1_;
  EncryptionKeyRingPtr v2_;
  EncryptionKeyRingPtr v3_only_;
};

TEST_F(KeyUsageTest, TextColumnCountsRowsPerKeyIdAndFindsUndecryptableRows) {
  Exec("CREATE TABLE " + table_ + " (id bigint PRIMARY KEY, enc text)");
  long id = 1;
  for (; id <= 5; ++id) {
    Insert(id, EncryptText(*v1_, id, id));
  }
  for (; id <= 7; ++id) {
    Insert(id, EncryptText(*v2_, id, id));
  }
  Insert(8, EncryptText(*v3_only_, 8, 8));  // a key the ring lacks
  Insert(9, EncryptText(*v2_, 9, 1));       // copied from another row: wrong context
  Insert(10, std::nullopt);
  Insert(11, "legacy@example.com");
  Insert(12, "ls9:whatever");  // a format this library does not know

  auto report = VerifyKeyUsage(SecretValue(cluster_->Dsn()), *v2_, Options(), true);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->rows_total, 12u);
  const std::string k1 = EncryptionKeyId("v1");
  const std::string k2 = EncryptionKeyId("v2");
  const std::string k3 = EncryptionKeyId("v3");
  ASSERT_EQ(report->key_ids.size(), 3u);
  EXPECT_EQ(report->key_ids[0].key_id, k1);
  EXPECT_EQ(report->key_ids[0].rows, 5u);
  EXPECT_TRUE(report->key_ids[0].in_ring);
  EXPECT_FALSE(report->key_ids[0].primary);
  EXPECT_EQ(report->key_ids[1].key_id, k2);
  EXPECT_EQ(report->key_ids[1].rows, 3u);
  EXPECT_TRUE(report->key_ids[1].primary);
  EXPECT_EQ(report->key_ids[2].key_id, k3);
  EXPECT_FALSE(report->key_ids[2].in_ring);
  EXPECT_EQ(report->RowsOnKey(k1), 5u);
  EXPECT_EQ(report->RowsOnKey("00000000"), 0u);
  EXPECT_EQ(report->null_rows, 1u);
  EXPECT_EQ(report->plaintext_rows, 1u);
  EXPECT_EQ(report->unknown_format_rows, 1u);
  EXPECT_EQ(report->RowsOnKeysNotInRing(), 2u);  // k3 and the unknown format
  EXPECT_TRUE(report->decrypted);
  EXPECT_THAT(report->undecryptable_ids.ids, ElementsAre("8", "9", "12"));

  // Counting only: no decryption, nothing undecryptable reported.
  auto counted = VerifyKeyUsage(SecretValue(cluster_->Dsn()), *v2_, Options(), false);
  ASSERT_THAT(counted, IsOk());
  EXPECT_FALSE(counted->decrypted);
  EXPECT_EQ(counted->undecryptable_ids.count, 0u);
}

TEST_F(KeyUsageTest, ByteaColumnReadsTheKeyIdFromBytesTwoToFive) {
  Exec("CREATE TABLE " + table_ + " (id integer PRIMARY KEY, enc bytea)");
  pqxx::nontransaction txn(*db_);
  for (long id = 1; id <= 4; ++id) {
    EncryptionKeyRing& ring = id == 4 ? *v2_ : *v1_;
    auto value = ring.EncryptBinary(internal::AsBytes(std::string("secret")), Context(id));
    ASSERT_THAT(value, IsOk());
    txn.exec_params("INSERT INTO " + table_ + " VALUES ($1, decode($2, 'hex'))", id,
                    internal::HexEncode(*value));
  }
  txn.exec("INSERT INTO " + table_ + " VALUES (5, 'short'::bytea), (6, NULL)");
  auto report = VerifyKeyUsage(SecretValue(cluster_->Dsn()), *v2_, Options(), true);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->RowsOnKey(EncryptionKeyId("v1")), 3u);
  EXPECT_EQ(report->RowsOnKey(EncryptionKeyId("v2")), 1u);
  EXPECT_EQ(report->plaintext_rows, 1u);
  EXPECT_EQ(report->null_rows, 1u);
  EXPECT_EQ(report->undecryptable_ids.count, 0u);
}

TEST_F(KeyUsageTest, SelectIsEnoughAndWithoutItPermissionDenied) {
  Exec("CREATE TABLE " + table_ + " (id bigint PRIMARY KEY, enc text)");
  Insert(1, EncryptText(*v1_, 1, 1));
  Exec("CREATE ROLE usage_reader LOGIN");
  Exec("CREATE ROLE usage_nobody LOGIN");
  Exec("GRANT SELECT ON " + table_ + " TO usage_reader");
  EXPECT_THAT(VerifyKeyUsage(SecretValue(cluster_->Dsn("usage_reader")), *v2_, Options(), true),
              IsOk());
  EXPECT_THAT(VerifyKeyUsage(SecretValue(cluster_->Dsn("usage_nobody")), *v2_, Options(), true),
              HasError(ErrorCode::kPermissionDenied));
}

}  // namespace
}  // namespace locksmith
