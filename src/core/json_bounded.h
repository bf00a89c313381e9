// The one door for JSON that comes from outside: back-end answers (Vault, Secrets Manager, the
// AWS credential endpoints), JSON inside a secret's value (`name#field`) and the header and claims
// of a presented token. A bounded, iterative parser (no recursion, so no stack overflow however
// deep the input) that builds an nlohmann::json without leaving copies of string values behind,
// and the iterative wipe of a parsed document.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

struct JsonLimits {
  // Objects and arrays nested deeper than this are refused. Real answers nest 4 or 5 deep.
  std::size_t max_depth = 64;
  // Longer text is refused before any parsing (the HTTP client caps bodies at the same size).
  std::size_t max_bytes = std::size_t{8} << 20;
};

// Parses strict JSON (RFC 8259; a leading UTF-8 byte order mark is skipped, as nlohmann does) into
// the same document nlohmann::json::parse would build: integers as number_unsigned (no '-') or
// number_integer, other numbers as doubles (an overflow is an error), the last of duplicate keys
// wins. One difference: nlohmann takes a NUL byte for the end of the input and ignores what
// follows; here anything after the value but white space is an error. Nothing is built past the
// limits; on any error whatever was built is wiped.
//
// Copies: each string value is decoded straight into its final buffer, sized once (no lexer token
// buffer, no reallocation), so after WipeJsonStrings the parse has left no copy of a value in
// freed memory. Object keys are not treated as secret (they are field names).
//
// Errors: kDataLoss "JSON text larger than N bytes" / "JSON nested deeper than N levels" /
// "malformed JSON at byte N". The text never quotes the input.
Result<nlohmann::json> ParseUntrustedJson(std::string_view text, const JsonLimits& limits = {});

// As ParseUntrustedJson, but null for any error: for bodies read only for what they may hold (an
// error's type and message) where a malformed one means "nothing there".
nlohmann::json ParseUntrustedJsonOrNull(std::string_view text, const JsonLimits& limits = {});

// json.dump() (compact, UTF-8 kept; invalid UTF-8 throws nlohmann's type_error as dump() does),
// into a string grown without leaving copies: dump() appends to a std::string whose every
// reallocation frees the old buffer, holding the text so far, unwiped. For request bodies that
// carry a secret; the caller wipes the result.
std::string DumpJsonWiping(const nlohmann::json& json);

// Overwrites every string value in `json` (keys are left alone), iteratively: any depth is safe.
// nlohmann::json's own destructor is iterative too (3.11: basic_json::json_value::destroy).
void WipeJsonStrings(nlohmann::json& json);

// Wipes a JSON document when it goes out of scope.
class ScopedJsonWipe {
 public:
  explicit ScopedJsonWipe(nlohmann::json& json) : json_(json) {}
  ScopedJsonWipe(const ScopedJsonWipe&) = delete;
  ScopedJsonWipe& operator=(const ScopedJsonWipe&) = delete;
  ~ScopedJsonWipe() { WipeJsonStrings(json_); }

 private:
  nlohmann::json& json_;
};

}  // namespace locksmith::internal
