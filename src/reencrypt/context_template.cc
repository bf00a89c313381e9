#include "reencrypt/context_template.h"

namespace locksmith::internal {

Result<ContextTemplate> ContextTemplate::Parse(std::string_view text, std::string_view table,
                                               std::string_view column) {
  ContextTemplate result;
  result.parts_.emplace_back();
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] != '{') {
      result.parts_.back() += text[pos++];
      continue;
    }
    const std::size_t close = text.find('}', pos);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "context template: unclosed '{'");
    }
    const std::string_view name = text.substr(pos + 1, close - pos - 1);
    if (name == "table") {
      result.parts_.back() += table;
    } else if (name == "column") {
      result.parts_.back() += column;
    } else if (name == "id") {
      result.parts_.emplace_back();
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "context template: unknown placeholder '{" +
                                                        std::string(name) +
                                                        "}' (known: {table}, {column}, {id})");
    }
    pos = close + 1;
  }
  if (result.parts_.size() < 2) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "context template must contain {id}: without it every row has the same "
                     "context");
  }
  return result;
}

std::string ContextTemplate::Expand(std::string_view id) const {
  std::string out = parts_.front();
  for (std::size_t i = 1; i < parts_.size(); ++i) {
    out += id;
    out += parts_[i];
  }
  return out;
}

}  // namespace locksmith::internal
