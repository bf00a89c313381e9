#include "core/utf8.h"

#include <cstddef>
#include <cstdint>

namespace locksmith::internal {

bool IsValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Table 3-7 of the Unicode standard: the lead byte fixes the length and the range allowed for
    // the second byte (which is what rules out overlongs, surrogates and values past U+10FFFF).
    std::size_t length = 0;
    std::uint8_t low = 0x80;
    std::uint8_t high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) {
        low = 0xA0;  // below: overlong
      } else if (lead == 0xED) {
        high = 0x9F;  // above: surrogates U+D800..U+DFFF
      }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) {
        low = 0x90;  // below: overlong
      } else if (lead == 0xF4) {
        high = 0x8F;  // above: past U+10FFFF
      }
    } else {
      return false;  // a continuation byte, C0/C1 (always overlong) or F5..FF
    }
    if (size - i < length) {
      return false;  // truncated
    }
    if (bytes[i + 1] < low || bytes[i + 1] > high) {
      return false;
    }
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

}  // namespace locksmith::internal
