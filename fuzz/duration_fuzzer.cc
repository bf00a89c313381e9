// ParseDuration (LOCKSMITH_CACHE_TTL and every other duration in configuration and flags): any
// text either parses or is refused with a message; a parsed duration is never negative, formats,
// and the formatted text parses back to the same duration.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "locksmith/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = locksmith::ParseDuration(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.error().message.empty(), "a refused duration has a message");
    return 0;
  }
  FUZZ_CHECK(parsed->count() >= 0, "a parsed duration is not negative");
  const auto again = locksmith::ParseDuration(locksmith::FormatDuration(*parsed));
  FUZZ_CHECK(again.ok() && *again == *parsed, "FormatDuration parses back to the same duration");
  return 0;
}
