// Differential: the JWT JSON fast path (keys/jwt_json.cc JsonScanner, ParseJsonNumber) against
// nlohmann::json on the same text, and the claims reader (ReadJwtClaims, fast path with its DOM
// fallback) against members read straight from nlohmann's DOM.
//   - When the scanner answers (ScanObject true), nlohmann accepts the text as an object, and
//     each wanted member agrees: absent/string/number/other, is-array, a string's text, a
//     number's value, and an array's string elements (ForEachElement).
//   - When nlohmann refuses the text, the scanner never answers.
//   - ReadJwtClaims accepts exactly what nlohmann accepts as an object, except texts deeper
//     than core/json_bounded.h's limit (64) and texts with a NUL byte (nlohmann stops reading
//     there; the bounded parser refuses what follows), and gives the DOM's values for exp, nbf,
//     iat, iss and aud.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "keys/jwt_claims.h"
#include "keys/jwt_json.h"

namespace {

namespace internal = locksmith::internal;
using internal::JsonMember;

constexpr std::string_view kJsonDiffWanted[] = {"exp", "nbf", "iat", "iss", "aud", "alg", "kid"};

JsonMember::Kind DomKind(const nlohmann::json& value) {
  return value.is_string()   ? JsonMember::kString
         : value.is_number() ? JsonMember::kNumber
                             : JsonMember::kOther;
}

// Nesting depth of the text's arrays and objects (strings skipped).
int JsonDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

bool SameNumber(std::optional<double> a, const nlohmann::json& dom) {
  const double b = dom.get<double>();
  if (!std::isfinite(b)) {
    return !a;
  }
  return a && *a == b;
}

void CheckMember(const JsonMember& m, const nlohmann::json& object, std::string_view name,
                 bool fast_path) {
  auto it = object.find(std::string(name));
  if (it == object.end()) {
    FUZZ_CHECK(m.kind == JsonMember::kAbsent, "an absent member is absent in both");
    return;
  }
  FUZZ_CHECK(m.kind == DomKind(*it), "a member's kind agrees");
  FUZZ_CHECK(m.is_array == it->is_array(), "is_array agrees");
  if (m.kind == JsonMember::kString) {
    FUZZ_CHECK(m.text == it->get_ref<const std::string&>(), "a string's text agrees");
  }
  if (m.kind == JsonMember::kNumber) {
    const std::optional<double> value = fast_path ? internal::ParseJsonNumber(m.text) : m.number;
    // The fast path leaves numbers it cannot convert exactly to the DOM: "unsure", not wrong.
    FUZZ_CHECK(!value || SameNumber(value, *it), "a number's value agrees");
  }
}

void DiffScanner(std::string_view text, const nlohmann::json& dom, bool dom_ok) {
  JsonMember found[std::size(kJsonDiffWanted)];
  const bool answered = internal::JsonScanner(text).ScanObject(kJsonDiffWanted, found);
  if (!answered) {
    return;
  }
  FUZZ_CHECK(dom_ok && dom.is_object(), "the scanner answers only for a JSON object");
  for (std::size_t i = 0; i < std::size(kJsonDiffWanted); ++i) {
    CheckMember(found[i], dom, kJsonDiffWanted[i], true);
    if (found[i].is_array) {
      const nlohmann::json& array = dom[std::string(kJsonDiffWanted[i])];
      std::size_t index = 0;
      const bool walked = internal::JsonScanner(found[i].text)
                              .ForEachElement([&](JsonMember::Kind kind, std::string_view element) {
                                FUZZ_CHECK(index < array.size(), "as many elements");
                                FUZZ_CHECK(kind == DomKind(array[index]), "an element's kind");
                                if (kind == JsonMember::kString) {
                                  FUZZ_CHECK(element == array[index].get_ref<const std::string&>(),
                                             "an element's text");
                                }
                                ++index;
                              });
      FUZZ_CHECK(walked && index == array.size(), "ForEachElement walks the whole array");
    }
  }
}

void DiffClaims(std::string_view text, const nlohmann::json& dom, bool dom_ok) {
  internal::JwtClaimsFields fields;
  std::optional<nlohmann::json> claims_dom;
  auto read = internal::ReadJwtClaims(text, fields, claims_dom);
  const bool dom_object = dom_ok && dom.is_object();
  if (!read.ok()) {
    // The two documented differences of core/json_bounded.h: its depth limit, and nlohmann
    // taking a NUL byte for the end of the input (ignoring what follows).
    FUZZ_CHECK(!dom_object || JsonDepth(text) > 64 || text.find('\0') != std::string_view::npos,
               "claims nlohmann reads as an object are read (within the depth limit)");
    return;
  }
  FUZZ_CHECK(dom_object, "claims are read only from a JSON object");
  const bool fast_path = !claims_dom.has_value();
  CheckMember(fields.exp, dom, "exp", false);
  CheckMember(fields.nbf, dom, "nbf", false);
  CheckMember(fields.iat, dom, "iat", false);
  CheckMember(fields.iss, dom, "iss", fast_path);
  CheckMember(fields.aud, dom, "aud", fast_path);
  std::vector<std::string_view> aud_strings;
  if (auto aud = dom.find("aud"); aud != dom.end() && aud->is_array()) {
    for (const nlohmann::json& a : *aud) {
      if (a.is_string()) {
        aud_strings.push_back(a.get_ref<const std::string&>());
      }
    }
  }
  FUZZ_CHECK(fields.aud_strings == aud_strings, "aud's string elements agree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json dom = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  const bool dom_ok = !dom.is_discarded();
  DiffScanner(text, dom, dom_ok);
  DiffClaims(text, dom, dom_ok);
  return 0;
}
