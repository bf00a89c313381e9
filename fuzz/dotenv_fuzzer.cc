// ParseDotenv (providers/dotenv/dotenv_parser.cc): any bytes either parse or are refused.
// A refusal is kInvalidArgument "fuzz.env:<line>: malformed line (<why>[, variable <KEY>])": a
// line number within the file, one of the parser's reasons, and nothing of the input but a key;
// a value planted in front of the input never appears in it. A parsed file's entries have valid
// keys and increasing lines, and written back as KEY="<escaped value>" lines (the form
// `locksmith import` users write by hand; the library has no .env writer) they parse back to the
// same keys and values.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "providers/dotenv/dotenv_parser.h"

namespace {

constexpr std::string_view kDotenvLabel = "fuzz.env";
constexpr std::string_view kDotenvPlanted = "zq-planted-dotenv-value-7731";

bool IsDotenvKey(std::string_view key) {
  if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) != 0 || key[0] == '_')) {
    return false;
  }
  for (char c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
      return false;
    }
  }
  return true;
}

int LineCount(std::string_view text) {
  int lines = 1;
  for (char c : text) {
    lines += c == '\n' || c == '\r' ? 1 : 0;  // "\r\n" counts twice: an upper bound
  }
  return lines;
}

void CheckDotenvError(const locksmith::Error& error, std::string_view input) {
  FUZZ_CHECK(error.code == locksmith::ErrorCode::kInvalidArgument, "a refusal is kInvalidArgument");
  std::string_view m = error.message;
  const std::string prefix = std::string(kDotenvLabel) + ":";
  FUZZ_CHECK(m.starts_with(prefix), "a refusal names the file");
  m.remove_prefix(prefix.size());
  int line = 0;
  std::size_t digits = 0;
  while (digits < m.size() && m[digits] >= '0' && m[digits] <= '9' && digits < 9) {
    line = line * 10 + (m[digits] - '0');
    ++digits;
  }
  FUZZ_CHECK(digits > 0 && line >= 1 && line <= LineCount(input), "a refusal names a line");
  m.remove_prefix(digits);
  FUZZ_CHECK(m.starts_with(": malformed line (") && m.ends_with(")"), "a refusal's form");
  m = m.substr(18, m.size() - 19);
  static constexpr std::string_view kReasons[] = {
      "expected KEY=VALUE with a KEY of letters, digits and '_'",
      "expected '=' after the key",
      "unterminated single quote",
      "unterminated double quote",
      "unexpected text after the closing quote",
  };
  bool known = false;
  for (std::string_view reason : kReasons) {
    if (m == reason) {
      known = true;
    } else if (m.starts_with(reason) && m.substr(reason.size()).starts_with(", variable ")) {
      const std::string_view key = m.substr(reason.size() + 11);
      FUZZ_CHECK(IsDotenvKey(key) && input.find(key) != std::string_view::npos,
                 "a refusal names only a key of the file");
      known = true;
    }
  }
  FUZZ_CHECK(known, "a refusal gives one of the parser's reasons and nothing else");
}

// The value in double quotes, with every byte the parser would read specially escaped.
std::string WriteDotenv(const std::vector<locksmith::internal::DotenvEntry>& entries) {
  std::string out;
  for (const auto& entry : entries) {
    out += entry.key;
    out += "=\"";
    for (char c : entry.value.RevealUnsafe()) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += c;
      }
    }
    out += "\"\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = locksmith::internal::ParseDotenv(input, kDotenvLabel);
  if (!parsed.ok()) {
    CheckDotenvError(parsed.error(), input);
    const std::string planted =
        "PLANTED_SECRET=\"" + std::string(kDotenvPlanted) + "\"\n" + std::string(input);
    auto again = locksmith::internal::ParseDotenv(planted, kDotenvLabel);
    FUZZ_CHECK(!again.ok(), "a line in front does not repair the file");
    FUZZ_CHECK(again.error().message.find(kDotenvPlanted) == std::string::npos,
               "a refusal never quotes a value");
    return 0;
  }
  int previous_line = 0;
  for (const auto& entry : *parsed) {
    FUZZ_CHECK(IsDotenvKey(entry.key), "a parsed key is letters, digits and '_'");
    FUZZ_CHECK(entry.line > previous_line && entry.end_line >= entry.line &&
                   entry.end_line <= LineCount(input),
               "entries' lines increase and lie within the file");
    previous_line = entry.end_line;
  }
  const std::string written = WriteDotenv(*parsed);
  auto reparsed = locksmith::internal::ParseDotenv(written, kDotenvLabel);
  FUZZ_CHECK(reparsed.ok() && reparsed->size() == parsed->size(), "written entries parse back");
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    FUZZ_CHECK((*reparsed)[i].key == (*parsed)[i].key &&
                   (*reparsed)[i].value == (*parsed)[i].value &&
                   (*reparsed)[i].line == static_cast<int>(i) + 1,
               "written entries parse back to the same keys and values");
  }
  return 0;
}
