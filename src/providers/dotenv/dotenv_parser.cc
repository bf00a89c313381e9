#include "providers/dotenv/dotenv_parser.h"

#include <openssl/crypto.h>

#include <cctype>
#include <string>

namespace locksmith::internal {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsKeyStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsKeyChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// A scratch string for building a value with escapes; wiped when done. Its capacity is reserved
// up front so appending never reallocates (and leaves an unwiped copy behind).
class Scratch {
 public:
  explicit Scratch(std::size_t capacity) { buf_.reserve(capacity); }
  ~Scratch() { OPENSSL_cleanse(buf_.data(), buf_.capacity()); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void Append(char c) { buf_.push_back(c); }
  SecretValue Take() const { return SecretValue(std::string_view(buf_)); }

 private:
  std::string buf_;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view label) : text_(text), label_(label) {}

  Result<std::vector<DotenvEntry>> Run() {
    std::vector<DotenvEntry> entries;
    while (pos_ < text_.size()) {
      SkipBlanks();
      if (AtLineEnd()) {
        ConsumeLineEnd();
        continue;
      }
      if (Peek() == '#') {
        SkipToLineEnd();
        ConsumeLineEnd();
        continue;
      }
      LOCKSMITH_ASSIGN_OR_RETURN(DotenvEntry entry, ParseAssignment());
      // The assignment consumed its line end, unless the text ended without one.
      const bool ended_line = pos_ > 0 && (text_[pos_ - 1] == '\n' || text_[pos_ - 1] == '\r');
      entry.end_line = ended_line ? line_ - 1 : line_;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

 private:
  char Peek() const { return text_[pos_]; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool AtLineEnd() const {
    return AtEnd() || Peek() == '\n' ||
           (Peek() == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'));
  }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(Peek())) {
      ++pos_;
    }
  }
  void SkipToLineEnd() {
    while (!AtLineEnd()) {
      ++pos_;
    }
  }
  void ConsumeLineEnd() {
    if (AtEnd()) {
      return;
    }
    if (Peek() == '\r') {
      ++pos_;
    }
    if (!AtEnd() && Peek() == '\n') {
      ++pos_;
    }
    ++line_;
  }

  // `key` is named only once an '=' showed it is one: a line without '=' may be a stray value.
  Error Malformed(int line, std::string_view why, std::string_view key = {}) const {
    std::string message =
        std::string(label_) + ":" + std::to_string(line) + ": malformed line (" + std::string(why);
    if (!key.empty()) {
      message += ", variable " + std::string(key);
    }
    return MakeError(ErrorCode::kInvalidArgument, message + ")");
  }

  // The bytes from `from` up to the next unescaped '"' (or the end of the text).
  std::size_t QuotedSpan(std::size_t from) const {
    std::size_t i = from;
    while (i < text_.size() && text_[i] != '"') {
      i += (text_[i] == '\\' && i + 1 < text_.size()) ? 2 : 1;
    }
    return i - from;
  }

  // After a closing quote only blanks and a comment may follow.
  Result<void> ExpectLineRest(int start_line, std::string_view key) {
    SkipBlanks();
    if (!AtLineEnd() && Peek() != '#') {
      return Malformed(start_line, "unexpected text after the closing quote", key);
    }
    SkipToLineEnd();
    ConsumeLineEnd();
    return OkResult();
  }

  Result<DotenvEntry> ParseAssignment() {
    const int start_line = line_;
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("export") && rest.size() > 6 && IsBlank(rest[6])) {
      pos_ += 6;
      SkipBlanks();
    }
    if (AtLineEnd() || !IsKeyStart(Peek())) {
      return Malformed(start_line, "expected KEY=VALUE with a KEY of letters, digits and '_'");
    }
    const std::size_t key_start = pos_;
    while (!AtEnd() && IsKeyChar(Peek())) {
      ++pos_;
    }
    DotenvEntry entry;
    entry.key = std::string(text_.substr(key_start, pos_ - key_start));
    entry.line = start_line;
    SkipBlanks();
    if (AtLineEnd() || Peek() != '=') {
      return Malformed(start_line, "expected '=' after the key");
    }
    ++pos_;
    const std::size_t after_equals = pos_;
    SkipBlanks();
    if (AtLineEnd() || (pos_ > after_equals && Peek() == '#')) {
      SkipToLineEnd();
      ConsumeLineEnd();
      return entry;  // "KEY=" or "KEY= # comment": an empty value
    }
    if (Peek() == '\'') {
      ++pos_;
      const std::size_t start = pos_;
      while (!AtEnd() && Peek() != '\'') {
        if (Peek() == '\n') {
          ++line_;
        }
        ++pos_;
      }
      if (AtEnd()) {
        return Malformed(start_line, "unterminated single quote", entry.key);
      }
      entry.value = SecretValue(text_.substr(start, pos_ - start));
      ++pos_;
      LOCKSMITH_RETURN_IF_ERROR(ExpectLineRest(start_line, entry.key));
      return entry;
    }
    if (Peek() == '"') {
      ++pos_;
      // Reserve only what this value can need: up to its closing quote. Reserving the rest of
      // the file (and wiping it after) made every double-quoted value cost O(file size), so a
      // file of many such values parsed in quadratic time.
      Scratch out(QuotedSpan(pos_));
      bool closed = false;
      while (!AtEnd()) {
        char c = Peek();
        ++pos_;
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\n') {
          ++line_;
        }
        if (c == '\\' && !AtEnd()) {
          char e = Peek();
          ++pos_;
          switch (e) {
            case 'n':
              out.Append('\n');
              break;
            case 'r':
              out.Append('\r');
              break;
            case 't':
              out.Append('\t');
              break;
            case '"':
            case '\\':
            case '$':
              out.Append(e);
              break;
            default:
              // Unknown escapes stay as written, as shells and most dotenv readers keep them.
              out.Append('\\');
              out.Append(e);
              if (e == '\n') {
                ++line_;
              }
              break;
          }
          continue;
        }
        out.Append(c);
      }
      if (!closed) {
        return Malformed(start_line, "unterminated double quote", entry.key);
      }
      entry.value = out.Take();
      LOCKSMITH_RETURN_IF_ERROR(ExpectLineRest(start_line, entry.key));
      return entry;
    }
    // Unquoted: up to the end of the line; " #" starts a comment; surrounding blanks trimmed.
    const std::size_t start = pos_;
    std::size_t end = pos_;
    while (!AtLineEnd()) {
      if (Peek() == '#' && pos_ > start && IsBlank(text_[pos_ - 1])) {
        break;
      }
      ++pos_;
      end = pos_;
    }
    while (end > start && IsBlank(text_[end - 1])) {
      --end;
    }
    entry.value = SecretValue(text_.substr(start, end - start));
    SkipToLineEnd();
    ConsumeLineEnd();
    return entry;
  }

  std::string_view text_;
  std::string_view label_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view content,
                                             std::string_view file_label) {
  return Parser(content, file_label).Run();
}

}  // namespace locksmith::internal
