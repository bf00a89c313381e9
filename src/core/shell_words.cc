#include "core/shell_words.h"

namespace locksmith::internal {

Result<std::vector<std::string>> SplitShellWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // "" is a word
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) {
        return MakeError(ErrorCode::kInvalidArgument, "no escaped character after '\\'");
      }
      word += line[i];
    } else if (c == '\'') {
      std::size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return MakeError(ErrorCode::kInvalidArgument, "no closing quotation");
      }
      word.append(line.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) {
          return MakeError(ErrorCode::kInvalidArgument, "no closing quotation");
        }
        if (line[i] == '"') {
          break;
        }
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          ++i;
        }
        word += line[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) {
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace locksmith::internal
