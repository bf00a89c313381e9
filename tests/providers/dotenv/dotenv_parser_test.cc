#include "providers/dotenv/dotenv_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;

// key -> value, in file order, for readable assertions on non-secret test data.
std::vector<std::pair<std::string, std::string>> Parse(std::string_view text) {
  auto parsed = ParseDotenv(text, ".env");
  EXPECT_THAT(parsed, IsOk());
  std::vector<std::pair<std::string, std::string>> out;
  if (parsed.ok()) {
    for (const auto& e : *parsed) {
      out.emplace_back(e.key, std::string(e.value.RevealUnsafe()));
    }
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(DotenvParserTest, PlainAssignmentsCommentsAndBlankLines) {
  EXPECT_EQ(Parse("# a comment\n"
                  "\n"
                  "A=1\n"
                  "   \t\n"
                  "  B = two  \n"
                  "   # indented comment\n"
                  "C=3"),
            (Pairs{{"A", "1"}, {"B", "two"}, {"C", "3"}}));
}

TEST(DotenvParserTest, ExportPrefix) {
  EXPECT_EQ(Parse("export A=1\nexport\tB=2\nexport=3\nexporter=4\n"),
            (Pairs{{"A", "1"}, {"B", "2"}, {"export", "3"}, {"exporter", "4"}}));
}

TEST(DotenvParserTest, UnquotedValuesStripTrailingComments) {
  EXPECT_EQ(Parse("A=value # comment\n"
                  "B=va#lue\n"
                  "C=#notacomment\n"
                  "D= # only a comment\n"
                  "E=\n"
                  "F=a b  c\t# c\n"
                  "G=x=y\n"),
            (Pairs{{"A", "value"},
                   {"B", "va#lue"},
                   {"C", "#notacomment"},
                   {"D", ""},
                   {"E", ""},
                   {"F", "a b  c"},
                   {"G", "x=y"}}));
}

TEST(DotenvParserTest, SingleQuotesAreLiteral) {
  EXPECT_EQ(Parse("A='a b # not comment'\n"
                  "B='back\\nslash \"q\"'  # trailing comment\n"
                  "C=''\n"
                  "D='two\nlines'\n"),
            (Pairs{{"A", "a b # not comment"},
                   {"B", "back\\nslash \"q\""},
                   {"C", ""},
                   {"D", "two\nlines"}}));
}

TEST(DotenvParserTest, DoubleQuotesHaveEscapes) {
  EXPECT_EQ(Parse("A=\"line1\\nline2\"\n"
                  "B=\"say \\\"hi\\\"\"\n"
                  "C=\"back\\\\slash\"\n"
                  "D=\"tab\\there\"\n"
                  "E=\"keep \\x unknown\"\n"
                  "F=\"\" # empty\n"
                  "G=\"a # b\"\n"),
            (Pairs{{"A", "line1\nline2"},
                   {"B", "say \"hi\""},
                   {"C", "back\\slash"},
                   {"D", "tab\there"},
                   {"E", "keep \\x unknown"},
                   {"F", ""},
                   {"G", "a # b"}}));
}

TEST(DotenvParserTest, DoubleQuotedValuesMaySpanLines) {
  auto parsed = ParseDotenv("A=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nB=2\n", ".env");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_TRUE((*parsed)[0].value.Equals("-----BEGIN KEY-----\nabc\n-----END KEY-----"));
  EXPECT_EQ((*parsed)[0].line, 1);
  EXPECT_EQ((*parsed)[1].key, "B");
  EXPECT_EQ((*parsed)[1].line, 4);  // line numbers keep counting inside quoted values
}

TEST(DotenvParserTest, EntriesKnowTheLinesTheySpan) {
  auto parsed = ParseDotenv("A=1\nB=\"x\ny\nz\"\n\nC='p\nq'\r\nD=4", ".env");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[0].line, 1);
  EXPECT_EQ((*parsed)[0].end_line, 1);
  EXPECT_EQ((*parsed)[1].line, 2);
  EXPECT_EQ((*parsed)[1].end_line, 4);
  EXPECT_EQ((*parsed)[2].line, 6);
  EXPECT_EQ((*parsed)[2].end_line, 7);
  EXPECT_EQ((*parsed)[3].line, 8);  // no final newline
  EXPECT_EQ((*parsed)[3].end_line, 8);
}

// A line with KEY= names its variable (for `locksmith import`); a line without '=' does not, as
// it may be a stray value.
TEST(DotenvParserTest, MalformedAssignmentNamesItsVariable) {
  EXPECT_THAT(ParseDotenv("A=1\nDB_PASSWORD=\"planted\n", "f"),
              HasErrorMessage(ErrorCode::kInvalidArgument,
                              "f:2: malformed line (unterminated double quote, variable "
                              "DB_PASSWORD)"));
  EXPECT_THAT(ParseDotenv("JWT_SECRET='planted' x\n", "f"),
              HasErrorMessage(ErrorCode::kInvalidArgument, "variable JWT_SECRET"));
  auto stray = ParseDotenv("PLANTED_VALUE\n", "f");
  ASSERT_THAT(stray, HasError(ErrorCode::kInvalidArgument));
  EXPECT_EQ(stray.error().message.find("PLANTED"), std::string::npos);
}

TEST(DotenvParserTest, CrLfLineEndings) {
  EXPECT_EQ(Parse("A=1\r\nB=\"2\"\r\n# c\r\nC='3'\r\n"),
            (Pairs{{"A", "1"}, {"B", "2"}, {"C", "3"}}));
}

TEST(DotenvParserTest, LaterAssignmentsAreAllKept) {
  EXPECT_EQ(Parse("A=1\nA=2\n"), (Pairs{{"A", "1"}, {"A", "2"}}));
}

TEST(DotenvParserTest, MalformedLinesNameFileAndLineButNotContent) {
  struct Case {
    std::string text;
    int line;
  };
  // Every case carries the planted text, which must never reach the error.
  const std::vector<Case> cases = {
      {"A=1\nplanted-s3cret\n", 2},           {"A=1\n\n# c\nPLANTED_S3CRET\n", 4},
      {"1ABC=planted-s3cret\n", 1},           {"=planted-s3cret\n", 1},
      {"MY KEY=planted-s3cret\n", 1},         {"A='planted-s3cret\n", 1},
      {"A=1\nB=\"planted-s3cret\nmore\n", 2}, {"A='planted-s3cret' trailing\n", 1},
      {"A=\"x\\\"planted-s3cret\"junk\n", 1}, {"A=\"one\ntwo\"\nplanted-s3cret\n", 3},
      {"export planted-s3cret\n", 1},         {"A.B=planted-s3cret\n", 1},
  };
  for (const auto& c : cases) {
    auto parsed = ParseDotenv(c.text, "/srv/app/.env");
    ASSERT_THAT(parsed, HasError(ErrorCode::kInvalidArgument)) << c.text;
    const std::string& message = parsed.error().message;
    EXPECT_NE(message.find("/srv/app/.env:" + std::to_string(c.line) + ":"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("planted"), std::string::npos) << message;
    EXPECT_EQ(message.find("PLANTED"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
}

// Issue 9: each double-quoted value reserved (and wiped) a buffer the size of the rest of the
// file, so many quoted values parsed in quadratic time (2 MB of them: 42 s at -O2, now 0.7 s;
// bench/dotenv_parser_bench.cc measures it). Not a timed test: with the old code this one runs
// for many minutes.
TEST(DotenvParserTest, LargeQuotedInputParsesInOnePass) {
  const std::string big(2 << 20, 'x');
  auto one = ParseDotenv("A=\"" + big + "\"\nB=\"x\\\"y\"\n", "f");
  ASSERT_THAT(one, IsOk());
  ASSERT_EQ(one->size(), 2u);
  EXPECT_TRUE((*one)[0].value.Equals(big));
  EXPECT_TRUE((*one)[1].value.Equals("x\"y"));

  std::string many;
  int lines = 0;
  while (many.size() < (1u << 20)) {
    many += "KEY_" + std::to_string(lines++) + "=\"v\\n\"\n";
  }
  auto parsed = ParseDotenv(many, "f");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), static_cast<std::size_t>(lines));
  EXPECT_TRUE(parsed->back().value.Equals("v\n"));
}

TEST(DotenvParserTest, EmptyInput) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("\n\n# only comments\n").empty());
  EXPECT_THAT(ParseDotenv("A", "f"), HasErrorMessage(ErrorCode::kInvalidArgument, "f:1:"));
}

}  // namespace
}  // namespace locksmith::internal
