#include "core/utf8.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace locksmith::internal {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  for (const char* text : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x94\x91",
                           "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                           "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
  }
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is a character
}

TEST(Utf8Test, RejectsOverlongForms) {
  for (const char* text : {"\xC0\xAF", "\xC1\xBF", "\xC0\x80", "\xE0\x80\xAF", "\xE0\x9F\xBF",
                           "\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF"}) {
    EXPECT_FALSE(IsValidUtf8(text)) << ::testing::PrintToString(std::string(text));
  }
}

TEST(Utf8Test, RejectsSurrogatesAndValuesPastTheLastCodePoint) {
  for (const char* text :
       {"\xED\xA0\x80", "\xED\xBF\xBF", "\xED\xA0\x80\xED\xB0\x80", "\xF4\x90\x80\x80",
        "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF", "\xF8", "\xFE", "\xFF"}) {
    EXPECT_FALSE(IsValidUtf8(text)) << ::testing::PrintToString(std::string(text));
  }
}

TEST(Utf8Test, RejectsTruncatedSequencesAndStrayContinuations) {
  for (const char* text : {"\xC3", "a\xC3", "\xE2\x82", "\xF0\x9F\x94", "\x80", "a\xBF b",
                           "\xC3\x28", "\xE2\x28\xA1", "\xF0\x9F\x28\x91", "\xE2\x82\xAC\xAC"}) {
    EXPECT_FALSE(IsValidUtf8(text)) << ::testing::PrintToString(std::string(text));
  }
}

// The validator decides whether a value may become a JSON string: it must agree with the JSON
// library's own strict check, which throws where the validator says no.
TEST(Utf8Test, AgreesWithTheJsonLibraryOnRandomBytes) {
  std::mt19937 random(20260101);
  std::uniform_int_distribution<int> size(1, 8);
  // Mostly bytes around the interesting boundaries.
  const unsigned char pool[] = {'a',  0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(pool) - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (int n = size(random); n > 0; --n) {
      text.push_back(static_cast<char>(pool[pick(random)]));
    }
    bool library_accepts = true;
    try {
      (void)nlohmann::json(text).dump();
    } catch (const nlohmann::json::type_error&) {
      library_accepts = false;
    }
    ASSERT_EQ(IsValidUtf8(text), library_accepts) << ::testing::PrintToString(text);
  }
}

}  // namespace
}  // namespace locksmith::internal
