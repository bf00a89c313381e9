// Reading the few top-level members of a JWT's header or claims JSON that the checks need.
// JsonScanner is the fast path: it validates the whole text as strict JSON (RFC 8259) in place,
// without a DOM, and picks out the wanted members. It only answers for plain text: strings must be
// printable ASCII without escapes, nesting at most 32 deep, and no wanted member may appear twice.
// Anything else, valid or not, is "unsure" and goes to the nlohmann::json DOM (the slow path,
// ParseJsonObject + JsonMemberFromDom), so both paths give the same answers (the tests run both).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

namespace locksmith::internal {

// One top-level member, as read by either path.
struct JsonMember {
  enum Kind : char { kAbsent, kString, kNumber, kOther };
  Kind kind = kAbsent;
  std::string_view text;  // a string's contents (no quotes, no escapes), a number's or array's text
  bool is_array = false;
  std::optional<double> number;  // a number's value, if finite (filled by the caller on the fast
                                 // path, see ParseJsonNumber; by JsonMemberFromDom on the slow one)
};

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : t_(text) {}

  // True if the text is exactly one JSON object that the fast path handles; fills `found[i]` for
  // the member named `wanted[i]`. False means "unsure", not "invalid".
  bool ScanObject(std::span<const std::string_view> wanted, std::span<JsonMember> found);

  // For an array already validated by ScanObject: calls f(kind, text) for each element.
  template <typename F>
  bool ForEachElement(F&& f) {
    Ws();
    if (!Eat('[')) {
      return false;
    }
    Ws();
    if (Eat(']')) {
      return true;
    }
    do {
      Ws();
      const std::size_t start = i_;
      JsonMember::Kind kind = JsonMember::kOther;
      if (!Value(0, kind)) {
        return false;
      }
      f(kind, Slice(start, kind));
      Ws();
    } while (Eat(','));
    return Eat(']');
  }

 private:
  bool Eat(char c);
  void Ws();
  bool String(std::string_view& out);
  // `"name" :` with the white space around it.
  bool MemberName(std::string_view& name);
  bool Digits();
  bool Number();
  bool Literal(std::string_view word);
  bool Value(int depth, JsonMember::Kind& kind);
  // The value that started at `start` and ended at i_: a string's contents, else its text.
  std::string_view Slice(std::size_t start, JsonMember::Kind kind) const;

  std::string_view t_;
  std::size_t i_ = 0;
};

// A fast-path number's value; nullopt unless `text` converts exactly to a finite double (e.g. an
// underflow is left to the DOM parser's rounding).
std::optional<double> ParseJsonNumber(std::string_view text);

// The slow path. Parses a JSON object with ParseUntrustedJson (core/json_bounded.h: no exceptions,
// nesting and size bounded); nullopt for anything else.
std::optional<nlohmann::json> ParseJsonObject(std::string_view text);
// The member `name` of `object`; its text points into `object`, which must outlive it.
JsonMember JsonMemberFromDom(const nlohmann::json& object, const char* name);

}  // namespace locksmith::internal
