// The strict in-place JSON scanner of JWT headers and claims, and its DOM fallback.
#include "keys/jwt_json.h"

#include <charconv>
#include <cmath>
#include <string>

#include "core/json_bounded.h"

namespace locksmith::internal {
namespace {

constexpr int kMaxDepth = 32;

}  // namespace

bool JsonScanner::ScanObject(std::span<const std::string_view> wanted,
                             std::span<JsonMember> found) {
  Ws();
  if (!Eat('{')) {
    return false;
  }
  Ws();
  if (!Eat('}')) {
    do {
      std::string_view key;
      if (!MemberName(key)) {
        return false;
      }
      const std::size_t start = i_;
      JsonMember::Kind kind = JsonMember::kOther;
      if (!Value(0, kind)) {
        return false;
      }
      for (std::size_t w = 0; w < wanted.size(); ++w) {
        if (key == wanted[w]) {
          if (found[w].kind != JsonMember::kAbsent) {
            return false;  // a duplicate: let the DOM parser decide which one counts
          }
          found[w].kind = kind;
          found[w].is_array = t_[start] == '[';
          found[w].text = Slice(start, kind);
        }
      }
      Ws();
    } while (Eat(','));
    if (!Eat('}')) {
      return false;
    }
  }
  Ws();
  return i_ == t_.size();
}

bool JsonScanner::Eat(char c) {
  if (i_ < t_.size() && t_[i_] == c) {
    ++i_;
    return true;
  }
  return false;
}

void JsonScanner::Ws() {
  while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
    ++i_;
  }
}

bool JsonScanner::String(std::string_view& out) {
  if (!Eat('"')) {
    return false;
  }
  const std::size_t start = i_;
  while (i_ < t_.size()) {
    const auto c = static_cast<unsigned char>(t_[i_]);
    if (c == '"') {
      out = t_.substr(start, i_ - start);
      ++i_;
      return true;
    }
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      return false;  // control characters, escapes, non-ASCII: the DOM parser's job
    }
    ++i_;
  }
  return false;
}

bool JsonScanner::MemberName(std::string_view& name) {
  Ws();
  if (!String(name)) {
    return false;
  }
  Ws();
  if (!Eat(':')) {
    return false;
  }
  Ws();
  return true;
}

bool JsonScanner::Digits() {
  const std::size_t start = i_;
  while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
    ++i_;
  }
  return i_ > start;
}

// Numbers with an exponent or a very long integer part are left to the DOM parser, which rejects
// the whole text when one overflows a double.
bool JsonScanner::Number() {
  Eat('-');
  const std::size_t start = i_;
  if (Eat('0')) {
    if (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      return false;  // leading zero
    }
  } else if (!Digits() || i_ - start > 300) {
    return false;
  }
  if (Eat('.') && !Digits()) {
    return false;
  }
  return !(i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E'));
}

bool JsonScanner::Literal(std::string_view word) {
  if (t_.substr(i_, word.size()) != word) {
    return false;
  }
  i_ += word.size();
  return true;
}

bool JsonScanner::Value(int depth, JsonMember::Kind& kind) {
  if (i_ >= t_.size() || depth > kMaxDepth) {
    return false;
  }
  kind = JsonMember::kOther;
  const char c = t_[i_];
  if (c == '"') {
    std::string_view ignored;
    kind = JsonMember::kString;
    return String(ignored);
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    kind = JsonMember::kNumber;
    return Number();
  }
  if (c == 't') {
    return Literal("true");
  }
  if (c == 'f') {
    return Literal("false");
  }
  if (c == 'n') {
    return Literal("null");
  }
  const bool object = c == '{';
  if (!object && c != '[') {
    return false;
  }
  ++i_;
  Ws();
  if (Eat(object ? '}' : ']')) {
    return true;
  }
  do {
    std::string_view key;
    if (object && !MemberName(key)) {
      return false;
    }
    Ws();
    JsonMember::Kind ignored;
    if (!Value(depth + 1, ignored)) {
      return false;
    }
    Ws();
  } while (Eat(','));
  return Eat(object ? '}' : ']');
}

std::string_view JsonScanner::Slice(std::size_t start, JsonMember::Kind kind) const {
  return kind == JsonMember::kString ? t_.substr(start + 1, i_ - start - 2)
                                     : t_.substr(start, i_ - start);
}

std::optional<double> ParseJsonNumber(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<nlohmann::json> ParseJsonObject(std::string_view text) {
  // A token's header and claims are untrusted: bounded depth and size, no recursion.
  nlohmann::json parsed = ParseUntrustedJsonOrNull(text);
  if (!parsed.is_object()) {
    return std::nullopt;
  }
  return parsed;
}

JsonMember JsonMemberFromDom(const nlohmann::json& object, const char* name) {
  JsonMember m;
  auto it = object.find(name);
  if (it == object.end()) {
    return m;
  }
  m.is_array = it->is_array();
  if (it->is_string()) {
    m.kind = JsonMember::kString;
    m.text = it->get_ref<const std::string&>();
  } else if (it->is_number()) {
    m.kind = JsonMember::kNumber;
    const double value = it->get<double>();
    if (std::isfinite(value)) {
      m.number = value;
    }
  } else {
    m.kind = JsonMember::kOther;
  }
  return m;
}

}  // namespace locksmith::internal
