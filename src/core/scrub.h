// Scrubbing secrets out of text that came from a back end (an error message, an error type),
// before it becomes part of an Error that is logged, printed or returned over HTTP. The providers
// call this where they turn a back end's answer into an Error; the runtime and the CLI use
// RedactSecrets once more with the values they hold.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace locksmith::internal {

// Secrets shorter than this are not searched for (a 1-3 byte needle would mangle ordinary
// words); ScrubBackendText then keeps nothing of the back end's text.
inline constexpr std::size_t kMinScrubbedSecretSize = 4;
// At most this many bytes of a back end's text are kept.
inline constexpr std::size_t kMaxBackendTextSize = 512;

// What an error built from a back end's answer may quote of the back end's own text.
enum class BackendText {
  kOmit,      // calls whose request carried a secret (writes, logins): nothing
  kScrubbed,  // reads: ScrubBackendText of the text, with the tokens and keys the call used
};

// `text` with every occurrence of each secret replaced by "***", also where the back end echoes
// it JSON-escaped (any mix of raw characters, short escapes, \/ and \uXXXX in either case,
// surrogate pairs), or base64-encoded (standard or URL-safe alphabet, padded or not, at any
// alignment inside a longer base64 text). Secrets shorter than kMinScrubbedSecretSize are not
// searched for. The encoded forms built for the search are wiped.
std::string RedactSecrets(std::string_view text, std::span<const std::string_view> secrets);

// A back end's text made fit to quote in an error: cut to kMaxBackendTextSize bytes (a secret
// cut off at the end is redacted too), RedactSecrets, then control characters (C0, DEL, C1,
// U+2028/U+2029, bidirectional overrides) become spaces with runs of white space collapsed (no
// forged log lines, no terminal escapes), invalid UTF-8 becomes '?', "..." marks a cut. Empty
// when any non-empty secret is too short to search for: then nothing of the text is kept.
std::string ScrubBackendText(std::string_view text, std::span<const std::string_view> secrets);

// A back end's error type or code ("ValidationException", "AccessDenied") if it may appear in a
// message: 1 to 64 characters of [A-Za-z0-9._:#-] that do not hold any of `secrets` (a short
// secret: that are not equal to it). Otherwise empty.
std::string SafeErrorCode(std::string_view code, std::span<const std::string_view> secrets);

}  // namespace locksmith::internal
