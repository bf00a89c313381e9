#include "core/json_bounded.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

std::string DeepArrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// Builds [[[...]]] `depth` deep without parsing (so without any parser's depth limit).
nlohmann::json BuildDeep(std::size_t depth) {
  nlohmann::json root = nlohmann::json::array();
  nlohmann::json* node = &root;
  for (std::size_t i = 1; i < depth; ++i) {
    node->push_back(nlohmann::json::array());
    node = &node->back();
  }
  node->push_back("secret-at-the-bottom");
  return root;
}

// The parser builds exactly what nlohmann::json::parse builds, or refuses what it refuses.
TEST(JsonBoundedTest, AgreesWithNlohmannOnValidAndInvalidText) {
  const std::vector<std::string> cases = {
      R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
      R"(  [1, -1, 0, -0, 1.5, -2.5e3, 1E2, 1e-2, 0.0]  )",
      R"([18446744073709551615, 18446744073709551616, -9223372036854775808,
          -9223372036854775809, 1e400, 1e-400, -1e-400])",
      R"("\u00e9\ud83d\ude00 \" \\ \/ \b \f \n \r \t")",
      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
      "\xEF\xBB\xBF{\"bom\":1}",
      R"({"dup":1,"dup":"second"})",
      R"({"k":"\u0000"})",
      "{}",
      "[]",
      "0",
      "\"\"",
      // Invalid:
      "",
      " ",
      "[1,]",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{a:1}",
      "[01]",
      "[1.]",
      "[.5]",
      "[1e]",
      "[-]",
      "[+1]",
      "\"unterminated",
      "\"bad \\x escape\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\\u12g4\"",
      "\"tab\there\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf5\x80\x80\x80\"",
      "\"\xe2\x82\"",
      "[1] [2]",
      "[1]x",
      "tru",
      "nul",
      "[",
      "{",
      "]",
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text);
    nlohmann::json expected = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    auto parsed = ParseUntrustedJson(text);
    if (expected.is_discarded()) {
      EXPECT_THAT(parsed, HasError(ErrorCode::kDataLoss));
      continue;
    }
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, expected);
    EXPECT_EQ(parsed->dump(), expected.dump());  // the same number types too
  }
}

TEST(JsonBoundedTest, RefusesNestingDeeperThanTheLimit) {
  EXPECT_THAT(ParseUntrustedJson(DeepArrays(64)), IsOk());
  EXPECT_THAT(ParseUntrustedJson(DeepArrays(65)),
              HasErrorMessage(ErrorCode::kDataLoss, std::string("nested deeper than 64")));
  EXPECT_THAT(ParseUntrustedJson(R"({"a":{"b":[1]}})", JsonLimits{.max_depth = 2}),
              HasError(ErrorCode::kDataLoss));
  EXPECT_THAT(ParseUntrustedJson(R"({"a":{"b":1}})", JsonLimits{.max_depth = 2}), IsOk());
}

// The finding: a million nested arrays crashed the process (recursion in the wipe).
TEST(JsonBoundedTest, AMillionNestedArraysIsACleanError) {
  std::string text = DeepArrays(1'000'000);
  EXPECT_THAT(ParseUntrustedJson(text), HasError(ErrorCode::kDataLoss));
  EXPECT_THAT(ParseUntrustedJson(std::string(1'000'000, '[')), HasError(ErrorCode::kDataLoss));
}

// nlohmann stops at a NUL byte and ignores the rest; a strict parser must not.
TEST(JsonBoundedTest, BytesAfterANulAreAnError) {
  using namespace std::string_literals;
  EXPECT_THAT(ParseUntrustedJson("[1]\0"s), HasError(ErrorCode::kDataLoss));
  EXPECT_THAT(ParseUntrustedJson("{\"a\":1}\0{\"a\":2}"s), HasError(ErrorCode::kDataLoss));
}

TEST(JsonBoundedTest, RefusesTextLongerThanTheLimit) {
  EXPECT_THAT(ParseUntrustedJson("[1,2,3]", JsonLimits{.max_bytes = 6}),
              HasErrorMessage(ErrorCode::kDataLoss, std::string("larger than 6 bytes")));
  EXPECT_THAT(ParseUntrustedJson("[1,2,3]", JsonLimits{.max_bytes = 7}), IsOk());
}

TEST(JsonBoundedTest, ErrorsNeverQuoteTheInput) {
  for (const char* text : {R"({"password":"hunter2-secret)", R"({"password":"hunter2-secret",})",
                           R"(["hunter2-secret" "x"])"}) {
    auto parsed = ParseUntrustedJson(text);
    ASSERT_THAT(parsed, Not(IsOk()));
    EXPECT_THAT(parsed.error().message, Not(HasSubstr("hunter2")));
  }
}

TEST(JsonBoundedTest, WipeOverwritesEveryStringValueAndKeepsKeys) {
  auto parsed = ParseUntrustedJson(
      R"({"password":"hunter2","nested":{"list":["a-secret",{"deep":"another"}]},"n":5})");
  ASSERT_THAT(parsed, IsOk());
  WipeJsonStrings(*parsed);
  const std::string dumped = parsed->dump();
  EXPECT_THAT(dumped, Not(HasSubstr("hunter2")));
  EXPECT_THAT(dumped, Not(HasSubstr("a-secret")));
  EXPECT_THAT(dumped, Not(HasSubstr("another")));
  EXPECT_THAT(dumped, HasSubstr("\"password\""));
  EXPECT_EQ((*parsed)["n"], 5);
}

// The wipe and nlohmann's destructor walk 200,000 levels without recursion (checked: a recursive
// walk like the old WipeJson dies of a stack overflow at 200,000 levels at -O2, 50,000 under ASan).
TEST(JsonBoundedTest, WipeAndDestructionOfDeepDocumentsDoNotRecurse) {
  nlohmann::json deep = BuildDeep(200'000);
  WipeJsonStrings(deep);
  const nlohmann::json* node = &deep;
  while (!node->empty() && node->back().is_array()) {
    node = &node->back();
  }
  EXPECT_EQ(node->back(), "");
  deep = nullptr;  // the destructor path
  EXPECT_TRUE(deep.is_null());
}

TEST(JsonBoundedTest, DumpWipingWritesWhatDumpWrites) {
  nlohmann::json doc = {{"data", {{"password", std::string(5000, 'p')}, {"n", 1.5}}},
                        {"list", {1, "two", nullptr, true}},
                        {"text", "caf\xc3\xa9 \"quoted\" \n"}};
  EXPECT_EQ(DumpJsonWiping(doc), doc.dump());
  EXPECT_EQ(DumpJsonWiping(nlohmann::json()), "null");
  // Invalid UTF-8 fails as dump() fails (the caller's concern), not silently.
  EXPECT_THROW(DumpJsonWiping(nlohmann::json("\xff")), nlohmann::json::type_error);
}

TEST(JsonBoundedTest, ScopedWipeWipesOnScopeExit) {
  auto parsed = ParseUntrustedJson(R"(["hunter2"])");
  ASSERT_THAT(parsed, IsOk());
  { ScopedJsonWipe wipe(*parsed); }
  EXPECT_EQ((*parsed)[0], "");
}

}  // namespace
}  // namespace locksmith::internal
