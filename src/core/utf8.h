// Strict UTF-8 validation: the one check behind every place that must know whether bytes are text
// before they become a JSON string (nlohmann's dump throws on invalid UTF-8, and Vault and AWS
// store text as JSON strings).
#pragma once

#include <string_view>

namespace locksmith::internal {

// Whether `text` is well-formed UTF-8 as RFC 3629 and Unicode table 3-7 define it: no overlong
// forms (C0 AF), no surrogates (ED A0 80), nothing above U+10FFFF (F4 90 80 80, F5..FF), no
// truncated or stray continuation bytes. The empty string is valid.
bool IsValidUtf8(std::string_view text);

}  // namespace locksmith::internal
