#include "core/json_bounded.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "core/strings.h"

namespace locksmith::internal {
namespace {

using Json = nlohmann::json;

// Clears a string's whole buffer (the small-string storage too: a move leaves bytes there).
void CleanseString(std::string& text) {
  if (text.capacity() > 0) {
    OPENSSL_cleanse(text.data(), text.capacity());
  }
  text.clear();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629 table, as nlohmann's
// lexer checks it), or 0.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0x100;
  };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  const unsigned b0 = byte(0);
  if (in(b0, 0xC2, 0xDF)) {
    return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  }
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// A stream buffer appending to a string; when the string must grow, the new buffer is allocated,
// the text copied and the old buffer wiped before it is freed.
class WipingStringBuf : public std::streambuf {
 public:
  explicit WipingStringBuf(std::string& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      const char ch = traits_type::to_char_type(c);
      Append(&ch, 1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    Append(data, static_cast<std::size_t>(n));
    return n;
  }

 private:
  void Append(const char* data, std::size_t n) {
    if (out_.size() + n > out_.capacity()) {
      std::string grown;
      grown.reserve(std::max(out_.capacity() * 2, out_.size() + n));
      grown.append(out_);
      CleanseString(out_);
      out_.swap(grown);
    }
    out_.append(data, n);
  }

  std::string& out_;
};

// One open object or array.
struct Frame {
  Json* container;
  bool object;
};

class BoundedParser {
 public:
  BoundedParser(std::string_view text, const JsonLimits& limits) : t_(text), limits_(limits) {}
  BoundedParser(const BoundedParser&) = delete;
  BoundedParser& operator=(const BoundedParser&) = delete;
  ~BoundedParser() {
    CleanseString(scratch_);
    CleanseString(key_);
  }

  Result<Json> Parse() {
    Json root;
    bool ok = Run(root);
    if (!ok) {
      WipeJsonStrings(root);
      return MakeError(error_code_, std::move(error_));
    }
    return root;
  }

 private:
  // The whole grammar as a loop over an explicit stack of open containers.
  bool Run(Json& root) {
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") {
      i_ = 3;
    }
    Json* slot = &root;  // where the next value goes
    while (true) {
      Ws();
      if (i_ >= t_.size()) {
        return Fail(i_);
      }
      const char c = t_[i_];
      if (c == '{' || c == '[') {
        if (stack_.size() >= limits_.max_depth) {
          return FailDeep();
        }
        ++i_;
        Store(*slot, c == '{' ? Json::object() : Json::array());
        stack_.push_back(Frame{slot, c == '{'});
        Ws();
        if (i_ < t_.size() && t_[i_] == (c == '{' ? '}' : ']')) {
          ++i_;
          stack_.pop_back();
        } else {
          if (!NextSlot(slot)) {
            return false;
          }
          continue;
        }
      } else if (!Scalar(*slot)) {
        return false;
      }
      // After a complete value: close containers, or find the next member / element.
      while (true) {
        Ws();
        if (stack_.empty()) {
          return i_ == t_.size() || Fail(i_);
        }
        if (i_ >= t_.size()) {
          return Fail(i_);
        }
        const Frame& top = stack_.back();
        if (t_[i_] == ',') {
          ++i_;
          if (!NextSlot(slot)) {
            return false;
          }
          break;
        }
        if (t_[i_] == (top.object ? '}' : ']')) {
          ++i_;
          stack_.pop_back();
          continue;
        }
        return Fail(i_);
      }
    }
  }

  // Opens the next member (`"key" :`) or element of the innermost container.
  bool NextSlot(Json*& slot) {
    Json& container = *stack_.back().container;
    if (!stack_.back().object) {
      container.get_ref<Json::array_t&>().emplace_back();
      slot = &container.get_ref<Json::array_t&>().back();
      return true;
    }
    Ws();
    if (i_ >= t_.size() || t_[i_] != '"' || !String(key_)) {
      return Fail(i_);
    }
    Ws();
    if (i_ >= t_.size() || t_[i_] != ':') {
      return Fail(i_);
    }
    ++i_;
    slot = &container.get_ref<Json::object_t&>()[key_];
    CleanseString(key_);
    return true;
  }

  // Puts `value` in `slot`, wiping what a duplicate key left there first.
  static void Store(Json& slot, Json value) {
    if (!slot.is_null()) {
      WipeJsonStrings(slot);
    }
    slot = std::move(value);
  }

  bool Scalar(Json& slot) {
    const char c = t_[i_];
    if (c == '"') {
      if (!String(scratch_)) {
        return false;
      }
      // Moves the heap buffer; a short string is copied out of scratch_, which is then cleared.
      Store(slot, Json(std::move(scratch_)));
      CleanseString(scratch_);
      return true;
    }
    if (c == '-' || IsDigit(c)) {
      return Number(slot);
    }
    if (Literal("true")) {
      Store(slot, true);
    } else if (Literal("false")) {
      Store(slot, false);
    } else if (Literal("null")) {
      Store(slot, nullptr);
    } else {
      return Fail(i_);
    }
    return true;
  }

  // Decodes the string at t_[i_] == '"' into `out`, whose buffer is sized once: the decoded text
  // is never longer than the raw text, so it never reallocates (a reallocation would leave an
  // unwiped copy behind).
  bool String(std::string& out) {
    const std::size_t start = ++i_;
    std::size_t end = start;
    while (end < t_.size() && t_[end] != '"') {
      end += t_[end] == '\\' ? 2 : 1;
    }
    if (end >= t_.size()) {
      return Fail(t_.size());
    }
    CleanseString(out);
    out.reserve(end - start);
    while (i_ < end) {
      const auto b = static_cast<unsigned char>(t_[i_]);
      if (b < 0x20) {
        return Fail(i_);
      }
      if (b < 0x80 && b != '\\') {
        out.push_back(static_cast<char>(b));
        ++i_;
        continue;
      }
      if (b >= 0x80) {
        const std::size_t n = Utf8SequenceLength(t_, i_);
        if (n == 0 || i_ + n > end) {
          return Fail(i_);
        }
        out.append(t_.substr(i_, n));
        i_ += n;
        continue;
      }
      if (!Escape(out, end)) {
        return false;
      }
    }
    ++i_;  // the closing quote
    return true;
  }

  bool Escape(std::string& out, std::size_t end) {
    const std::size_t at = i_;
    const char e = i_ + 1 < end ? t_[i_ + 1] : '\0';
    i_ += 2;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(e);
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return Fail(at);
    }
    std::uint32_t cp = 0;
    if (!Hex4(end, cp)) {
      return Fail(at);
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Fail(at);  // a low surrogate without a high one
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (i_ + 1 >= end || t_[i_] != '\\' || t_[i_ + 1] != 'u') {
        return Fail(at);
      }
      i_ += 2;
      if (!Hex4(end, low) || low < 0xDC00 || low > 0xDFFF) {
        return Fail(at);
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return true;
  }

  bool Hex4(std::size_t end, std::uint32_t& cp) {
    if (i_ + 4 > end) {
      return false;
    }
    for (int k = 0; k < 4; ++k) {
      const int v = HexDigitValue(t_[i_ + k]);
      if (v < 0) {
        return false;
      }
      cp = (cp << 4) | static_cast<std::uint32_t>(v);
    }
    i_ += 4;
    return true;
  }

  // RFC 8259 numbers, typed as nlohmann types them.
  bool Number(Json& slot) {
    const std::size_t start = i_;
    const bool negative = t_[i_] == '-';
    if (negative) {
      ++i_;
    }
    if (i_ < t_.size() && t_[i_] == '0') {
      ++i_;
    } else if (!Digits()) {
      return Fail(i_);
    }
    bool integer = true;
    if (i_ < t_.size() && t_[i_] == '.') {
      integer = false;
      ++i_;
      if (!Digits()) {
        return Fail(i_);
      }
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      integer = false;
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) {
        ++i_;
      }
      if (!Digits()) {
        return Fail(i_);
      }
    }
    const char* first = t_.data() + start;
    const char* last = t_.data() + i_;
    if (integer) {
      if (negative) {
        std::int64_t value = 0;
        auto [ptr, ec] = std::from_chars(first, last, value);
        if (ec == std::errc() && ptr == last) {
          Store(slot, value);
          return true;
        }
      } else {
        std::uint64_t value = 0;
        auto [ptr, ec] = std::from_chars(first, last, value);
        if (ec == std::errc() && ptr == last) {
          Store(slot, value);
          return true;
        }
      }
    }
    double value = 0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) {
      // strtod (which nlohmann uses) gives +-0 on underflow and +-HUGE_VAL on overflow, which
      // nlohmann refuses.
      if (!Underflows(std::string_view(first, last - first))) {
        return Fail(start);
      }
      value = negative ? -0.0 : 0.0;
    } else if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
      return Fail(start);
    }
    Store(slot, value);
    return true;
  }

  // For a number out of double's range: whether it is tiny rather than huge (the decimal exponent
  // of its first significant digit is negative). Out-of-range magnitudes are above 1e308 or below
  // 1e-323, so this rough exponent decides without doubt.
  static bool Underflows(std::string_view number) {
    std::int64_t exponent = 0;
    std::size_t e = number.find_first_of("eE");
    if (e != std::string_view::npos) {
      std::string_view digits = number.substr(e + 1);
      const bool minus = !digits.empty() && digits[0] == '-';
      if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        digits.remove_prefix(1);
      }
      for (char c : digits) {
        exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
      }
      if (minus) {
        exponent = -exponent;
      }
      number = number.substr(0, e);
    }
    const std::size_t dot = number.find('.');
    const std::size_t int_end = dot == std::string_view::npos ? number.size() : dot;
    const std::size_t first = number.find_first_of("123456789");
    if (first == std::string_view::npos) {
      return true;  // zero
    }
    const auto position = first < int_end ? static_cast<std::int64_t>(int_end - first - 1)
                                          : -static_cast<std::int64_t>(first - int_end);
    return position + exponent < 0;
  }

  bool Literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) {
      return false;
    }
    i_ += word.size();
    return true;
  }

  bool Digits() {
    const std::size_t start = i_;
    while (i_ < t_.size() && IsDigit(t_[i_])) {
      ++i_;
    }
    return i_ > start;
  }

  void Ws() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }

  bool Fail(std::size_t at) {
    error_code_ = ErrorCode::kDataLoss;
    error_ = "malformed JSON at byte " + std::to_string(at);
    return false;
  }

  bool FailDeep() {
    error_code_ = ErrorCode::kDataLoss;
    error_ = "JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels";
    return false;
  }

  std::string_view t_;
  const JsonLimits& limits_;
  std::size_t i_ = 0;
  std::vector<Frame> stack_;
  std::string key_;
  std::string scratch_;
  ErrorCode error_code_ = ErrorCode::kDataLoss;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> ParseUntrustedJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return MakeError(ErrorCode::kDataLoss,
                     "JSON text larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  BoundedParser parser(text, limits);
  return parser.Parse();
}

nlohmann::json ParseUntrustedJsonOrNull(std::string_view text, const JsonLimits& limits) {
  auto parsed = ParseUntrustedJson(text, limits);
  return parsed.ok() ? std::move(parsed).value() : nlohmann::json();
}

std::string DumpJsonWiping(const nlohmann::json& json) {
  std::string out;
  out.reserve(256);
  WipingStringBuf buffer(out);
  std::ostream stream(&buffer);
  stream.exceptions(std::ios::badbit);  // a type_error from the serializer propagates, as dump()
  stream << json;
  return out;
}

void WipeJsonStrings(nlohmann::json& json) {
  std::vector<nlohmann::json*> pending{&json};
  while (!pending.empty()) {
    nlohmann::json* node = pending.back();
    pending.pop_back();
    if (node->is_string()) {
      CleanseString(node->get_ref<std::string&>());
    } else if (node->is_array()) {
      for (auto& element : node->get_ref<nlohmann::json::array_t&>()) {
        pending.push_back(&element);
      }
    } else if (node->is_object()) {
      for (auto& [key, value] : node->get_ref<nlohmann::json::object_t&>()) {
        pending.push_back(&value);
      }
    }
  }
}

}  // namespace locksmith::internal
