// EncryptionKeyRing: formats, failures (all the same "decryption failed"), rotation through a
// SecretsManager subscription, key loading errors, the encryption counter warning.
#include "locksmith/encryption_key_ring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/crypto.h"
#include "keys/key_test_util.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using ::testing::StartsWith;

// 32 bytes each, base64. Planted so the leak scan can look for them.
const std::string kKey1 =
    internal::Base64Encode(internal::AsBytes("key-one-PLANTED-0123456789abcdef"));
const std::string kKey2 =
    internal::Base64Encode(internal::AsBytes("key-two-PLANTED-0123456789abcdef"));
const std::string kKey3 =
    internal::Base64Encode(internal::AsBytes("key-3re-PLANTED-0123456789abcdef"));
constexpr std::string_view kPlaintext = "alice-PII@example.com";
constexpr std::string_view kContext = "users.encrypted_email.42";

std::span<const std::uint8_t> Bytes(std::string_view s) { return internal::AsBytes(s); }

class EncryptionKeyRingTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const std::string& text : {logs_.Text(), metrics_->RenderText()}) {
      for (const std::string& planted : {kKey1, kKey2, kKey3}) {
        EXPECT_THAT(text, Not(HasSubstr(planted)));
      }
      EXPECT_THAT(text, Not(HasSubstr(kPlaintext)));
      EXPECT_THAT(text, Not(HasSubstr("PLANTED")));
    }
  }

  EncryptionKeyRingPtr Fixed(std::vector<std::pair<std::string, std::string>> keys,
                             EncryptionKeyRingOptions options = {}) {
    std::vector<EncryptionKeyMaterial> materials;
    for (auto& [id, key] : keys) {
      materials.push_back({id, SecretValue(key)});
    }
    auto ring = EncryptionKeyRing::FromKeys(std::move(materials), std::move(options), random_,
                                            metrics_.get());
    EXPECT_THAT(ring, IsOk());
    return ring.ok() ? std::move(ring).value() : nullptr;
  }

  std::string DecryptFailures() const {
    std::string text = metrics_->RenderText();
    auto pos = text.find("secrets_manager_decryption_failures_total{");
    if (pos == std::string::npos) {
      return "none";
    }
    return text.substr(pos, text.find('\n', pos) - pos);
  }

  void ExpectFails(const Result<SecretValue>& r) {
    EXPECT_THAT(r, HasErrorMessage(ErrorCode::kDataLoss, "decryption failed"));
    if (!r.ok()) {
      EXPECT_EQ(r.error().message, "decryption failed");
    }
  }

  testing::LogCapture logs_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
  std::unique_ptr<Metrics> metrics_ = Metrics::Create();
};

TEST_F(EncryptionKeyRingTest, KeyIdIsShaPrefixOfVersionId) {
  EXPECT_EQ(EncryptionKeyId("v1"), "3bfc2695");
  EXPECT_EQ(EncryptionKeyId("v2"), "fb04dcb6");
}

TEST_F(EncryptionKeyRingTest, TextRoundTripAndShape) {
  auto ring = Fixed({{"v1", kKey1}});
  auto ct = ring->EncryptText(Bytes(kPlaintext), kContext);
  ASSERT_THAT(ct, IsOk());
  EXPECT_THAT(*ct, StartsWith("ls1:3bfc2695:"));
  auto body = internal::Base64Decode(ct->substr(13));
  ASSERT_THAT(body, IsOk());
  ASSERT_EQ(body->size(), 12 + kPlaintext.size() + 16);
  // The nonce is the first 12 bytes the injected Random gave (FakeRandom: 1, 2, 3, ...).
  EXPECT_EQ(internal::HexEncode(std::span(body->data(), 12)), "0102030405060708090a0b0c");
  auto pt = ring->DecryptText(*ct, kContext);
  ASSERT_THAT(pt, IsOk());
  EXPECT_TRUE(pt->Equals(kPlaintext));
  EXPECT_THAT(ring->EncryptText(Bytes(kPlaintext), kContext), IsOk());
  EXPECT_NE(*ring->EncryptText(Bytes(kPlaintext), kContext), *ct);  // fresh nonce each time
}

TEST_F(EncryptionKeyRingTest, BinaryRoundTripAndShape) {
  auto ring = Fixed({{"v1", kKey1}});
  auto ct = ring->EncryptBinary(Bytes(kPlaintext), kContext);
  ASSERT_THAT(ct, IsOk());
  ASSERT_EQ(ct->size(), 1 + 4 + 12 + kPlaintext.size() + 16);
  EXPECT_EQ((*ct)[0], 1);
  EXPECT_EQ(internal::HexEncode(std::span(ct->data() + 1, 4)), "3bfc2695");
  auto pt = ring->DecryptBinary(*ct, kContext);
  ASSERT_THAT(pt, IsOk());
  EXPECT_TRUE(pt->Equals(kPlaintext));
}

TEST_F(EncryptionKeyRingTest, TextAndBinaryFormsCarryTheSameBytes) {
  auto ring = Fixed({{"v1", kKey1}});
  auto text = ring->EncryptText(Bytes(kPlaintext), kContext);
  ASSERT_THAT(text, IsOk());
  auto body = internal::Base64Decode(text->substr(13));
  std::vector<std::uint8_t> binary{1, 0x3b, 0xfc, 0x26, 0x95};
  binary.insert(binary.end(), body->begin(), body->end());
  auto pt = ring->DecryptBinary(binary, kContext);
  ASSERT_THAT(pt, IsOk());
  EXPECT_TRUE(pt->Equals(kPlaintext));
}

TEST_F(EncryptionKeyRingTest, EmptyPlaintext) {
  auto ring = Fixed({{"v1", kKey1}});
  auto ct = ring->EncryptBinary({}, kContext);
  ASSERT_THAT(ct, IsOk());
  auto pt = ring->DecryptBinary(*ct, kContext);
  ASSERT_THAT(pt, IsOk());
  EXPECT_TRUE(pt->empty());
}

TEST_F(EncryptionKeyRingTest, AadBindsCiphertextToItsPlace) {
  auto ring = Fixed({{"v1", kKey1}});
  auto ct = ring->EncryptText(Bytes(kPlaintext), kContext);
  ASSERT_THAT(ct, IsOk());
  ExpectFails(ring->DecryptText(*ct, "users.encrypted_email.43"));  // another row
  ExpectFails(ring->DecryptText(*ct, "users.encrypted_phone.42"));  // another column
  ExpectFails(ring->DecryptText(*ct, ""));
  EXPECT_THAT(DecryptFailures(), HasSubstr("} 3"));
  EXPECT_THAT(DecryptFailures(), HasSubstr("db-encryption-key"));
}

TEST_F(EncryptionKeyRingTest, WrongKeyUnderTheSameIdFails) {
  auto ring = Fixed({{"v1", kKey1}});
  auto other = Fixed({{"v1", kKey2}});
  auto ct = ring->EncryptText(Bytes(kPlaintext), kContext);
  ASSERT_THAT(ct, IsOk());
  ExpectFails(other->DecryptText(*ct, kContext));
}

TEST_F(EncryptionKeyRingTest, UnknownKeyVersionFails) {
  auto ring = Fixed({{"v1", kKey1}});
  auto other = Fixed({{"v2", kKey1}});  // same bytes, another version: unknown id
  auto text = other->EncryptText(Bytes(kPlaintext), kContext);
  auto binary = other->EncryptBinary(Bytes(kPlaintext), kContext);
  ExpectFails(ring->DecryptText(*text, kContext));
  ExpectFails(ring->DecryptBinary(*binary, kContext));
}

TEST_F(EncryptionKeyRingTest, EveryTruncationFails) {
  auto ring = Fixed({{"v1", kKey1}});
  auto text = ring->EncryptText(Bytes(kPlaintext), kContext);
  auto binary = ring->EncryptBinary(Bytes(kPlaintext), kContext);
  for (std::size_t n = 0; n < text->size(); ++n) {
    SCOPED_TRACE(n);
    ExpectFails(ring->DecryptText(text->substr(0, n), kContext));
  }
  for (std::size_t n = 0; n < binary->size(); ++n) {
    SCOPED_TRACE(n);
    ExpectFails(ring->DecryptBinary(std::span(binary->data(), n), kContext));
  }
}

TEST_F(EncryptionKeyRingTest, EveryBitFlipFails) {
  auto ring = Fixed({{"v1", kKey1}});
  auto binary = ring->EncryptBinary(Bytes(kPlaintext), kContext);
  ASSERT_THAT(binary, IsOk());
  for (std::size_t i = 0; i < binary->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::uint8_t> tampered = *binary;
      tampered[i] ^= static_cast<std::uint8_t>(1 << bit);
      SCOPED_TRACE(::testing::Message() << "byte " << i << " bit " << bit);
      ExpectFails(ring->DecryptBinary(tampered, kContext));
    }
  }
  auto text = ring->EncryptText(Bytes(kPlaintext), kContext);
  ASSERT_THAT(text, IsOk());
  for (std::size_t i = 0; i < text->size(); ++i) {
    for (int bit = 0; bit < 7; ++bit) {
      std::string tampered = *text;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      auto r = ring->DecryptText(tampered, kContext);
      // Flipping the lowest bits of the last base64 character can hit only padding-free bits that
      // the canonical-encoding check rejects; no flip may ever decrypt.
      SCOPED_TRACE(::testing::Message() << "char " << i << " bit " << bit);
      ExpectFails(r);
    }
  }
}

TEST_F(EncryptionKeyRingTest, MalformedTextFails) {
  auto ring = Fixed({{"v1", kKey1}});
  auto text = *ring->EncryptText(Bytes(kPlaintext), kContext);
  ExpectFails(ring->DecryptText("", kContext));
  ExpectFails(ring->DecryptText("ls2" + text.substr(3), kContext));            // format version
  ExpectFails(ring->DecryptText("ls1:3BFC2695" + text.substr(12), kContext));  // uppercase id
  ExpectFails(ring->DecryptText(text + "!", kContext));                        // bad base64
  ExpectFails(ring->DecryptText(text.substr(0, 12) + ";" + text.substr(13), kContext));
  ExpectFails(ring->DecryptText(text + "AAAA", kContext));  // trailing bytes
  // 49 sealed bytes: the canonical text ends in "==". Missing or extra padding is refused.
  ASSERT_EQ(text.substr(text.size() - 2), "==");
  ExpectFails(ring->DecryptText(text.substr(0, text.size() - 1), kContext));
  ExpectFails(ring->DecryptText(text.substr(0, text.size() - 2), kContext));
  ExpectFails(ring->DecryptText(text + "=", kContext));
  ExpectFails(ring->DecryptText(text + "==", kContext));
  ExpectFails(ring->DecryptText(kPlaintext, kContext));  // a plaintext left in the column
  std::vector<std::uint8_t> binary = *ring->EncryptBinary(Bytes(kPlaintext), kContext);
  binary[0] = 2;
  ExpectFails(ring->DecryptBinary(binary, kContext));
}

TEST_F(EncryptionKeyRingTest, DecryptsWithAnyKeyEncryptsWithPrimary) {
  auto old_ring = Fixed({{"v1", kKey1}});
  auto old_ct = old_ring->EncryptText(Bytes(kPlaintext), kContext);
  auto ring = Fixed({{"v2", kKey2}, {"v1", kKey1}});
  EXPECT_EQ(ring->PrimaryKeyId(), "fb04dcb6");
  EXPECT_THAT(ring->KeyIds(), ElementsAre("fb04dcb6", "3bfc2695"));
  auto pt = ring->DecryptText(*old_ct, kContext);
  ASSERT_THAT(pt, IsOk());
  EXPECT_TRUE(pt->Equals(kPlaintext));
  auto new_ct = ring->EncryptText(Bytes(kPlaintext), kContext);
  EXPECT_THAT(*new_ct, StartsWith("ls1:fb04dcb6:"));
  ExpectFails(old_ring->DecryptText(*new_ct, kContext));
}

TEST_F(EncryptionKeyRingTest, BadKeyMaterialIsAConfigurationError) {
  const std::string short_key =
      internal::Base64Encode(Bytes("31-bytes-PLANTED-" + std::string(14, 'x')));
  const std::string long_key =
      internal::Base64Encode(Bytes("33-bytes-PLANTED-" + std::string(16, 'x')));
  for (const std::string& bad :
       {short_key, long_key, std::string("not base64 PLANTED!"), std::string("")}) {
    std::vector<EncryptionKeyMaterial> keys;
    keys.push_back({"v7", SecretValue(bad)});
    auto ring = EncryptionKeyRing::FromKeys(std::move(keys), {}, random_, nullptr);
    EXPECT_THAT(ring, HasErrorMessage(ErrorCode::kInvalidArgument, "base64 of exactly 32 bytes"));
    if (!ring.ok()) {
      EXPECT_THAT(ring.error().message, HasSubstr("v7"));
      EXPECT_THAT(ring.error().message, Not(HasSubstr("PLANTED")));
    }
  }
  EXPECT_THAT(EncryptionKeyRing::FromKeys({}, {}, random_, nullptr),
              HasError(ErrorCode::kInvalidArgument));
}

TEST_F(EncryptionKeyRingTest, RandomFailureFailsEncryption) {
  auto ring = Fixed({{"v1", kKey1}});
  random_.FailFill(true);
  EXPECT_THAT(ring->EncryptText(Bytes(kPlaintext), kContext), HasError(ErrorCode::kInternal));
  EXPECT_THAT(ring->EncryptBinary(Bytes(kPlaintext), kContext), HasError(ErrorCode::kInternal));
  EXPECT_EQ(ring->EncryptionCount("3bfc2695"), 0u);
}

TEST_F(EncryptionKeyRingTest, WarnsOnceWhenAKeyNearsItsEncryptionLimit) {
  EncryptionKeyRingOptions options;
  options.encryption_warning_threshold = 3;
  auto ring = Fixed({{"v1", kKey1}}, options);
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(ring->EncryptText(Bytes(kPlaintext), kContext), IsOk());
  }
  EXPECT_THAT(logs_.Text(), Not(HasSubstr("rotate the key")));
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(ring->EncryptBinary(Bytes(kPlaintext), kContext), IsOk());
  }
  EXPECT_EQ(ring->EncryptionCount("3bfc2695"), 5u);
  EXPECT_EQ(ring->EncryptionCount("ffffffff"), 0u);
  const std::string logs = logs_.Text();
  EXPECT_THAT(logs, HasSubstr("key id 3bfc2695 has done 3 encryptions"));
  EXPECT_EQ(logs.find("rotate the key"), logs.rfind("rotate the key"));  // once
}

TEST_F(EncryptionKeyRingTest, DefaultWarningIsWellBelowTheNonceLimit) {
  EncryptionKeyRingOptions options;
  EXPECT_LE(options.encryption_warning_threshold, std::uint64_t{1} << 31);
  EXPECT_GT(options.encryption_warning_threshold, std::uint64_t{1} << 20);
}

TEST_F(EncryptionKeyRingTest, FixedRingCannotReload) {
  auto ring = Fixed({{"v1", kKey1}});
  EXPECT_THAT(ring->Reload(), HasError(ErrorCode::kFailedPrecondition));
}

// Through a SecretsManager: rotation picked up by the subscription.
class EncryptionKeyRingRotationTest : public EncryptionKeyRingTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(store_.Put("db-encryption-key", SecretValue(kKey1), Stage::kCurrent), IsOk());
    manager_ = testing::MakeManager(store_, clock_, random_, metrics_.get());
    ASSERT_NE(manager_, nullptr);
  }
  void Rotate(const std::string& key) {
    ASSERT_THAT(store_.Put("db-encryption-key", SecretValue(key), Stage::kCurrent), IsOk());
    ASSERT_THAT(manager_->Refresh("db-encryption-key"), IsOk());  // notices the new version
  }

  testing::InMemoryProvider store_{clock_};
  std::unique_ptr<SecretsManager> manager_;
};

TEST_F(EncryptionKeyRingRotationTest, RotationSwitchesPrimaryAndKeepsPrevious) {
  auto ring =
      EncryptionKeyRing::Create(*manager_, "db-encryption-key", {}, random_, metrics_.get());
  ASSERT_THAT(ring, IsOk());
  EXPECT_THAT((*ring)->KeyIds(), ElementsAre(EncryptionKeyId("v1")));
  auto ct1 = (*ring)->EncryptText(Bytes(kPlaintext), kContext);

  Rotate(kKey2);
  EXPECT_THAT((*ring)->KeyIds(), ElementsAre(EncryptionKeyId("v2"), EncryptionKeyId("v1")));
  auto ct2 = (*ring)->EncryptText(Bytes(kPlaintext), kContext);
  EXPECT_THAT(*ct2, StartsWith("ls1:" + EncryptionKeyId("v2") + ":"));
  EXPECT_THAT((*ring)->DecryptText(*ct1, kContext), IsOk());
  EXPECT_THAT((*ring)->DecryptText(*ct2, kContext), IsOk());
  EXPECT_EQ((*ring)->EncryptionCount(EncryptionKeyId("v1")), 1u);  // counts survive the rebuild
  EXPECT_EQ((*ring)->EncryptionCount(EncryptionKeyId("v2")), 1u);

  Rotate(kKey3);  // v1 is neither current nor previous any more
  EXPECT_THAT((*ring)->KeyIds(), ElementsAre(EncryptionKeyId("v3"), EncryptionKeyId("v2")));
  ExpectFails((*ring)->DecryptText(*ct1, kContext));
  EXPECT_THAT((*ring)->DecryptText(*ct2, kContext), IsOk());
}

TEST_F(EncryptionKeyRingRotationTest, ExtraVersionsStayInTheRing) {
  EncryptionKeyRingOptions options;
  options.extra_version_ids = {"v1"};
  Rotate(kKey2);
  Rotate(kKey3);
  auto ring = EncryptionKeyRing::Create(*manager_, "db-encryption-key", options, random_, nullptr);
  ASSERT_THAT(ring, IsOk());
  EXPECT_THAT((*ring)->KeyIds(),
              ElementsAre(EncryptionKeyId("v3"), EncryptionKeyId("v2"), EncryptionKeyId("v1")));
  options.extra_version_ids = {"v9"};
  EXPECT_THAT(EncryptionKeyRing::Create(*manager_, "db-encryption-key", options, random_, nullptr),
              HasError(ErrorCode::kNotFound));
}

TEST_F(EncryptionKeyRingRotationTest, BadNewKeyKeepsTheOldRing) {
  auto ring = EncryptionKeyRing::Create(*manager_, "db-encryption-key", {}, random_, nullptr);
  ASSERT_THAT(ring, IsOk());
  Rotate("c2hvcnQtUExBTlRFRA==");  // base64 of "short-PLANTED"
  EXPECT_THAT((*ring)->KeyIds(), ElementsAre(EncryptionKeyId("v1")));
  EXPECT_THAT(logs_.Text(), HasSubstr("keeping the previous keys"));
  EXPECT_THAT((*ring)->Reload(), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(EncryptionKeyRing::Create(*manager_, "db-encryption-key", {}, random_, nullptr),
              HasErrorMessage(ErrorCode::kInvalidArgument, "base64 of exactly 32 bytes"));
}

TEST_F(EncryptionKeyRingRotationTest, MissingSecretFailsCreate) {
  EXPECT_THAT(EncryptionKeyRing::Create(*manager_, "no-such-key", {}, random_, nullptr),
              HasError(ErrorCode::kNotFound));
}

TEST_F(EncryptionKeyRingRotationTest, BackEndFailureFailsReloadAndKeepsKeys) {
  auto ring = EncryptionKeyRing::Create(*manager_, "db-encryption-key", {}, random_, nullptr);
  ASSERT_THAT(ring, IsOk());
  store_.Fail(ErrorCode::kPermissionDenied);
  EXPECT_THAT((*ring)->Reload(), HasError(ErrorCode::kPermissionDenied));
  store_.Fail(std::nullopt);
  EXPECT_THAT((*ring)->EncryptText(Bytes(kPlaintext), kContext), IsOk());
}

}  // namespace
}  // namespace locksmith
