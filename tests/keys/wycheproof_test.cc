// Wycheproof vectors through the key rings' primitives: every AES-GCM case with a 256-bit key and
// a 96-bit IV (valid and invalid), and every HMAC-SHA256 case (including truncated tags).
// The data lives in tests/data/wycheproof (with its licence); LOCKSMITH_TESTDATA overrides the
// testdata directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "keys/primitives.h"
#include "locksmith/secret_value.h"
#include "support/source_path.h"

namespace locksmith {
namespace {

using nlohmann::json;

std::filesystem::path TestDataDir() {
  if (const char* dir = std::getenv("LOCKSMITH_TESTDATA")) {
    return dir;
  }
  return testing::SourcePath("tests/data");
}

json Load(const std::string& file) {
  std::ifstream in(TestDataDir() / "wycheproof" / file);
  if (!in) {
    ADD_FAILURE() << "missing " << (TestDataDir() / "wycheproof" / file);
    return json::object();
  }
  return json::parse(in);
}

std::vector<std::uint8_t> Hex(const json& value) {
  auto bytes = internal::HexDecode(value.get<std::string>());
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::vector<std::uint8_t>{};
}

TEST(WycheproofTest, AesGcm256With96BitIv) {
  const json suite = Load("aes_gcm_test.json");
  int cases = 0;
  int invalid = 0;
  for (const json& group : suite["testGroups"]) {
    if (group["keySize"] != 256 || group["ivSize"] != 96) {
      continue;
    }
    ASSERT_EQ(group["tagSize"], 128);
    for (const json& t : group["tests"]) {
      SCOPED_TRACE(::testing::Message() << "tcId " << t["tcId"] << " " << t["comment"]);
      const auto key = Hex(t["key"]);
      const auto iv = Hex(t["iv"]);
      const auto aad = Hex(t["aad"]);
      const auto msg = Hex(t["msg"]);
      auto sealed = Hex(t["ct"]);
      const auto tag = Hex(t["tag"]);
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      const bool valid = t["result"] != "invalid";
      ++cases;
      invalid += valid ? 0 : 1;

      std::vector<std::uint8_t> opened(sealed.size() - std::min(sealed.size(), std::size_t{16}));
      const bool open_ok = internal::Aes256GcmOpen(key, iv, sealed, aad, opened.data());
      EXPECT_EQ(open_ok, valid);
      if (valid) {
        EXPECT_EQ(opened, msg);
        std::vector<std::uint8_t> out(msg.size() + 16);
        ASSERT_TRUE(internal::Aes256GcmSeal(key, iv, msg, aad, out.data()));
        EXPECT_EQ(out, sealed);
      } else {
        EXPECT_TRUE(std::all_of(opened.begin(), opened.end(), [](auto b) { return b == 0; }))
            << "unauthenticated plaintext left in the output";
      }
      // The library's own AES-GCM (the local store's) agrees.
      auto core =
          internal::AesGcmOpen(SecretValue(std::span<const std::uint8_t>(key)), iv, sealed, aad);
      EXPECT_EQ(core.ok(), valid);
    }
  }
  EXPECT_EQ(cases, 66);
  EXPECT_GT(invalid, 0);
}

TEST(WycheproofTest, HmacSha256) {
  const json suite = Load("hmac_sha256_test.json");
  int cases = 0;
  int truncated = 0;
  for (const json& group : suite["testGroups"]) {
    const std::size_t tag_size = group["tagSize"].get<std::size_t>() / 8;
    for (const json& t : group["tests"]) {
      SCOPED_TRACE(::testing::Message() << "tcId " << t["tcId"] << " " << t["comment"]);
      const auto key = Hex(t["key"]);
      const auto msg = Hex(t["msg"]);
      const auto tag = Hex(t["tag"]);
      const bool valid = t["result"] != "invalid";
      ++cases;
      truncated += tag_size < 32 ? 1 : 0;
      EXPECT_EQ(internal::HmacVerify(internal::HmacHash::kSha256, key, msg, tag, tag_size), valid);
      std::array<std::uint8_t, 32> mac;
      ASSERT_TRUE(internal::HmacCompute(internal::HmacHash::kSha256, key, msg, mac.data()));
      EXPECT_EQ(std::equal(tag.begin(), tag.end(), mac.begin()), valid);
      if (valid && tag.size() > 1) {
        // A tag shorter than the group's size never verifies.
        EXPECT_FALSE(internal::HmacVerify(internal::HmacHash::kSha256, key, msg,
                                          std::span(tag.data(), tag.size() - 1), tag_size));
      }
    }
  }
  EXPECT_EQ(cases, 174);
  EXPECT_GT(truncated, 0);
}

TEST(PrimitivesTest, RejectsBadSizes) {
  std::vector<std::uint8_t> key(32), nonce(12), out(64);
  EXPECT_FALSE(internal::Aes256GcmSeal(std::span(key.data(), 31), nonce, {}, {}, out.data()));
  EXPECT_FALSE(internal::Aes256GcmSeal(key, std::span(nonce.data(), 8), {}, {}, out.data()));
  EXPECT_FALSE(internal::Aes256GcmOpen(key, nonce, std::span(out.data(), 15), {}, out.data()));
  EXPECT_FALSE(internal::HmacVerify(internal::HmacHash::kSha256, key, {}, {}, 0));    // empty tag
  EXPECT_FALSE(internal::HmacVerify(internal::HmacHash::kSha256, key, {}, out, 32));  // too long
}

}  // namespace
}  // namespace locksmith
