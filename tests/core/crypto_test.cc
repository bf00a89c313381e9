#include "core/crypto.h"

#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using testing::HasError;
using testing::IsOk;

TEST(CryptoTest, AesGcmRoundTripAndTamperDetection) {
  SecretValue key(std::string(32, 'k'));
  std::vector<std::uint8_t> nonce(12, 7);
  auto aad = AsBytes("users.encrypted_email.42");
  auto sealed = AesGcmSeal(key, nonce, AsBytes("alice@example.com"), aad);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->size(), 17u + 16u);
  auto opened = AesGcmOpen(key, nonce, *sealed, aad);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->RevealUnsafe(), "alice@example.com");

  auto tampered = *sealed;
  tampered[0] ^= 1;
  EXPECT_THAT(AesGcmOpen(key, nonce, tampered, aad), HasError(ErrorCode::kDataLoss));
  EXPECT_THAT(AesGcmOpen(key, nonce, *sealed, AsBytes("users.encrypted_email.43")),
              HasError(ErrorCode::kDataLoss));
  SecretValue other(std::string(32, 'x'));
  auto wrong = AesGcmOpen(other, nonce, *sealed, aad);
  ASSERT_THAT(wrong, HasError(ErrorCode::kDataLoss));
  EXPECT_EQ(wrong.error().message, "decryption failed");
  EXPECT_THAT(AesGcmOpen(key, nonce, std::vector<std::uint8_t>(5), aad),
              HasError(ErrorCode::kDataLoss));
  EXPECT_THAT(AesGcmSeal(SecretValue("short"), nonce, AsBytes("x"), aad),
              HasError(ErrorCode::kInvalidArgument));
}

TEST(CryptoTest, EmptyPlaintext) {
  SecretValue key(std::string(32, 'k'));
  std::vector<std::uint8_t> nonce(12, 1);
  auto sealed = AesGcmSeal(key, nonce, {}, {});
  ASSERT_THAT(sealed, IsOk());
  auto opened = AesGcmOpen(key, nonce, *sealed, {});
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->empty());
}

TEST(CryptoTest, Base64) {
  EXPECT_EQ(Base64Encode(AsBytes("")), "");
  EXPECT_EQ(Base64Encode(AsBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(AsBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(AsBytes("foobar")), "Zm9vYmFy");
  auto d = Base64Decode("Zm9vYg==");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(std::string(d->begin(), d->end()), "foob");
  EXPECT_THAT(Base64Decode("Zm9vYg"), IsOk());
  EXPECT_THAT(Base64Decode("Zm9v!"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Base64Decode("Zh=="), HasError(ErrorCode::kInvalidArgument));  // non-canonical
  EXPECT_THAT(Base64Decode("Z"), HasError(ErrorCode::kInvalidArgument));
  std::vector<std::uint8_t> bin = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(Base64UrlEncode(bin), "-__-");
  EXPECT_EQ(Base64Encode(bin), "+//+");
  auto secret = Base64DecodeSecret("Zm9v");
  ASSERT_THAT(secret, IsOk());
  EXPECT_EQ(secret->RevealUnsafe(), "foo");
  EXPECT_EQ(Base64EncodeSecret(AsBytes("foo")).RevealUnsafe(), "Zm9v");
}

// Found by fuzz/base64_diff_fuzzer.cc (fuzz/regressions/base64_diff/): every trailing '=' was
// stripped before decoding, so "==" decoded to nothing and "Zm9vYg=====" to "foob"; one byte
// string had any number of spellings, against the documented "missing padding, nothing else".
TEST(CryptoTest, Base64DecodeAcceptsOnlyPaddingThatCompletesTheLastQuad) {
  for (const char* ok : {"Zm9vYg==", "Zm9vYg", "Zm9vYmE=", "Zm9vYmE", "Zm9v", ""}) {
    EXPECT_THAT(Base64Decode(ok), IsOk()) << ok;
    EXPECT_THAT(Base64DecodeSecret(ok), IsOk()) << ok;
  }
  for (const char* bad : {"==", "=", "====", "Zm9vYg=", "Zm9vYg===", "Zm9vYg=====", "Zm9v=",
                          "Zm9v====", "Zm9vYmE==", "Z===", "Zm==Zm=="}) {
    EXPECT_THAT(Base64Decode(bad), HasError(ErrorCode::kInvalidArgument)) << bad;
    EXPECT_THAT(Base64DecodeSecret(bad), HasError(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST(CryptoTest, HexAndSha256) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto d = HexDecode("00ff10");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(HexEncode(*d), "00ff10");
  EXPECT_THAT(HexDecode("0"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(HexDecode("zz"), HasError(ErrorCode::kInvalidArgument));
}

TEST(CryptoTest, HmacSha256Rfc4231Case2) {
  auto mac = Hmac("SHA256", AsBytes("Jefe"), AsBytes("what do ya want for nothing?"));
  ASSERT_THAT(mac, IsOk());
  EXPECT_EQ(HexEncode(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_THAT(Hmac("MD5", AsBytes("k"), AsBytes("d")), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith::internal
