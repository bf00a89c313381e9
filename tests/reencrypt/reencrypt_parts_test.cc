// The re-encryption job's database-free parts: the context template, the array literal the
// compare-and-set UPDATE receives, and the classification of one value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "reencrypt/context_template.h"
#include "reencrypt/reencrypt_sql.h"
#include "reencrypt/row_reencrypter.h"

namespace locksmith::internal {
namespace {

using testing::HasError;
using testing::HasErrorMessage;
using testing::IsOk;

TEST(ContextTemplateTest, ExpandsTableColumnAndEveryId) {
  auto t = ContextTemplate::Parse("{table}.{column}.{id}", "users", "encrypted_email");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->Expand("42"), "users.encrypted_email.42");
  auto twice = ContextTemplate::Parse("a{id}b{id}", "t", "c");
  ASSERT_THAT(twice, IsOk());
  EXPECT_EQ(twice->Expand("7"), "a7b7");
}

TEST(ContextTemplateTest, RefusesUnknownPlaceholdersUnclosedBracesAndNoId) {
  EXPECT_THAT(ContextTemplate::Parse("{table}.{row}", "t", "c"),
              HasErrorMessage(ErrorCode::kInvalidArgument, "{row}"));
  EXPECT_THAT(ContextTemplate::Parse("{table}.{id", "t", "c"),
              HasErrorMessage(ErrorCode::kInvalidArgument, "unclosed"));
  EXPECT_THAT(ContextTemplate::Parse("{table}.{column}", "t", "c"),
              HasErrorMessage(ErrorCode::kInvalidArgument, "{id}"));
}

TEST(ReencryptArrayLiteralTest, QuotesAndEscapesEveryElement) {
  EXPECT_EQ(ArrayLiteral({}), "{}");
  EXPECT_EQ(ArrayLiteral({"1", "a,b", "q\"x", "back\\slash", "NULL"}),
            R"({"1","a,b","q\"x","back\\slash","NULL"})");
}

class RowReencrypterTest : public ::testing::Test {
 protected:
  EncryptionKeyRingPtr Ring(std::vector<std::string> version_ids) {
    std::vector<EncryptionKeyMaterial> keys;
    for (const std::string& v : version_ids) {
      std::string raw = v;
      raw.resize(32, 'k');
      keys.push_back({v, SecretValue(Base64Encode(AsBytes(raw)))});
    }
    auto ring = EncryptionKeyRing::FromKeys(std::move(keys), {}, random_, nullptr);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }
  testing::FakeRandom random_;
};

TEST_F(RowReencrypterTest, TextMovesToThePrimaryUnderTheSameContext) {
  auto old_ring = Ring({"v1"});
  auto new_ring = Ring({"v2", "v1"});
  auto old_value = old_ring->EncryptText(AsBytes("alice@example.com"), "users.e.1");
  ASSERT_THAT(old_value, IsOk());
  auto moved = ReencryptValue(*new_ring, CipherColumnKind::kText, *old_value, "users.e.1");
  ASSERT_THAT(moved, IsOk());
  ASSERT_EQ(moved->outcome, RowOutcome::kReencrypted);
  EXPECT_EQ(moved->new_value.substr(0, 13), "ls1:" + EncryptionKeyId("v2") + ":");
  auto back = new_ring->DecryptText(moved->new_value, "users.e.1");
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->Equals("alice@example.com"));
}

TEST_F(RowReencrypterTest, ClassifiesPlaintextAndUndecryptable) {
  auto old_ring = Ring({"v1"});
  auto new_ring = Ring({"v2", "v1"});
  auto other_ring = Ring({"v9"});
  auto wrong_key = other_ring->EncryptText(AsBytes("x"), "c");
  auto wrong_context = old_ring->EncryptText(AsBytes("x"), "other");
  ASSERT_THAT(wrong_key, IsOk());
  ASSERT_THAT(wrong_context, IsOk());
  const auto outcome = [&](CipherColumnKind kind, std::string_view value) {
    auto r = ReencryptValue(*new_ring, kind, value, "c");
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->outcome : RowOutcome::kReencrypted;
  };
  EXPECT_EQ(outcome(CipherColumnKind::kText, "alice@example.com"), RowOutcome::kPlaintext);
  EXPECT_EQ(outcome(CipherColumnKind::kText, "ls:x"), RowOutcome::kPlaintext);
  EXPECT_EQ(outcome(CipherColumnKind::kText, "ls2:00000000:AAAA"), RowOutcome::kUndecryptable);
  EXPECT_EQ(outcome(CipherColumnKind::kText, *wrong_key), RowOutcome::kUndecryptable);
  EXPECT_EQ(outcome(CipherColumnKind::kText, *wrong_context), RowOutcome::kUndecryptable);

  auto binary = old_ring->EncryptBinary(AsBytes("bob"), "c");
  ASSERT_THAT(binary, IsOk());
  std::string hex = HexEncode(*binary);
  EXPECT_EQ(outcome(CipherColumnKind::kBytea, hex), RowOutcome::kReencrypted);
  EXPECT_EQ(outcome(CipherColumnKind::kBytea, HexEncode(AsBytes("legacy plain bytes"))),
            RowOutcome::kPlaintext);
  hex[hex.size() - 1] = hex[hex.size() - 1] == '0' ? '1' : '0';
  EXPECT_EQ(outcome(CipherColumnKind::kBytea, hex), RowOutcome::kUndecryptable);
}

TEST(ReencryptSqlTest, NamesComeOnlyFromTheQuotedColumnInfo) {
  ColumnInfo info{R"("public"."Users ""x""")", R"("enc")", R"("id")", CipherColumnKind::kText,
                  "bigint"};
  const ReencryptSql sql = BuildReencryptSql(info);
  EXPECT_THAT(sql.next_batch, ::testing::HasSubstr(R"(FROM "public"."Users ""x""" AS t WHERE)"));
  EXPECT_THAT(sql.next_batch, ::testing::HasSubstr(R"(t."id" > $4::bigint ORDER BY t."id" LIMIT)"));
  EXPECT_THAT(sql.compare_and_set, ::testing::HasSubstr(R"(t."enc" = v.old_value)"));
  EXPECT_THAT(sql.first_batch, ::testing::Not(::testing::HasSubstr("OFFSET")));
}

}  // namespace
}  // namespace locksmith::internal
