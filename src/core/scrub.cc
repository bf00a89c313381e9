#include "core/scrub.h"

#include <openssl/crypto.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/utf8.h"

namespace locksmith::internal {
namespace {

constexpr std::string_view kMask = "***";
constexpr std::size_t kMaxErrorCodeSize = 64;
// Stands for a byte that is not part of valid UTF-8: past every code point, so it only ever
// equals the same invalid byte.
constexpr std::uint32_t kInvalidByteBase = 0x110000;

struct Char {
  std::uint32_t code_point = 0;
  std::size_t size = 1;
};

std::size_t Utf8Length(std::uint8_t lead) {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return 2;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    return 4;
  }
  return 0;
}

// The character at text[i]: a code point, or one invalid byte.
Char DecodeChar(std::string_view text, std::size_t i) {
  const auto lead = static_cast<std::uint8_t>(text[i]);
  const std::size_t length = Utf8Length(lead);
  if (length == 1) {
    return {lead, 1};
  }
  if (length == 0 || text.size() - i < length || !IsValidUtf8(text.substr(i, length))) {
    return {kInvalidByteBase + lead, 1};
  }
  std::uint32_t code_point = lead & (0x7Fu >> length);
  for (std::size_t k = 1; k < length; ++k) {
    code_point = (code_point << 6) | (static_cast<std::uint8_t>(text[i + k]) & 0x3Fu);
  }
  return {code_point, length};
}

std::optional<std::uint32_t> Hex4(std::string_view text, std::size_t i) {
  if (i > text.size() || text.size() - i < 4) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const char c = text[i + k];
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = value * 16 + digit;
  }
  return value;
}

// A JSON escape at text[i] ("\n", "\/", "\u00e9", a surrogate pair), decoded.
std::optional<Char> DecodeEscape(std::string_view text, std::size_t i) {
  if (text[i] != '\\' || i + 1 >= text.size()) {
    return std::nullopt;
  }
  switch (text[i + 1]) {
    case '"':
    case '\\':
    case '/':
      return Char{static_cast<std::uint8_t>(text[i + 1]), 2};
    case 'b':
      return Char{'\b', 2};
    case 'f':
      return Char{'\f', 2};
    case 'n':
      return Char{'\n', 2};
    case 'r':
      return Char{'\r', 2};
    case 't':
      return Char{'\t', 2};
    case 'u':
      break;
    default:
      return std::nullopt;
  }
  auto unit = Hex4(text, i + 2);
  if (!unit) {
    return std::nullopt;
  }
  if (*unit >= 0xD800 && *unit <= 0xDBFF && i + 12 <= text.size() && text[i + 6] == '\\' &&
      text[i + 7] == 'u') {
    auto low = Hex4(text, i + 8);
    if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
      return Char{0x10000 + ((*unit - 0xD800) << 10) + (*low - 0xDC00), 12};
    }
  }
  return Char{*unit, 6};
}

// How many bytes of `text` from `start` spell `needle`, each of its characters raw or
// JSON-escaped; 0 if they do not. With `partial_at_end`, a match cut off by the end of `text`
// after at least kMinScrubbedSecretSize bytes of the needle counts too.
std::size_t MatchAt(std::string_view text, std::size_t start, std::string_view needle,
                    bool partial_at_end) {
  std::size_t i = start;
  std::size_t j = 0;
  while (j < needle.size()) {
    if (i >= text.size()) {
      return partial_at_end && j >= kMinScrubbedSecretSize ? i - start : 0;
    }
    const Char want = DecodeChar(needle, j);
    // The escape first: a raw '\\' in the needle must not eat the backslash of "\u005c".
    auto escaped = DecodeEscape(text, i);
    if (escaped && escaped->code_point == want.code_point) {
      i += escaped->size;
      j += want.size;
      continue;
    }
    if (text.compare(i, want.size, needle.substr(j, want.size)) != 0) {
      // A raw prefix of a multi-byte character cut off by the end still counts as cut off.
      if (partial_at_end && j >= kMinScrubbedSecretSize && text.size() - i < want.size &&
          needle.substr(j).starts_with(text.substr(i))) {
        return text.size() - start;
      }
      return 0;
    }
    i += want.size;
    j += want.size;
  }
  return i - start;
}

constexpr std::string_view kBase64Std =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Base64 of `shift` zero bytes followed by `secret`, without padding: the characters that depend
// only on the secret's bytes (those that mix in the zero bytes, or the missing bytes after the
// end, are left out). With shift 0 and `whole`, the complete encoding, padded if `pad`.
std::string Base64Form(std::string_view secret, std::size_t shift, std::string_view alphabet,
                       bool whole, bool pad) {
  const std::size_t total = shift + secret.size();
  auto byte = [&](std::size_t k) -> std::uint32_t {
    return k < shift || k >= total ? 0 : static_cast<std::uint8_t>(secret[k - shift]);
  };
  std::string encoded;
  encoded.reserve((total + 2) / 3 * 4);
  for (std::size_t k = 0; k < total; k += 3) {
    const std::uint32_t group = (byte(k) << 16) | (byte(k + 1) << 8) | byte(k + 2);
    const std::size_t chars = total - k >= 3 ? 4 : total - k + 1;
    for (std::size_t c = 0; c < chars; ++c) {
      encoded.push_back(alphabet[(group >> (18 - 6 * c)) & 0x3F]);
    }
  }
  if (whole) {
    while (pad && encoded.size() % 4 != 0) {
      encoded.push_back('=');
    }
    return encoded;
  }
  // Character c covers bits [6c, 6c + 6): keep those inside the secret's bits [8 shift, 8 total).
  const std::size_t first = (8 * shift + 5) / 6;
  const std::size_t end = 8 * total / 6;
  std::string core = first < end ? encoded.substr(first, end - first) : std::string();
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return core;
}

// The needles searched for: each secret long enough, and its base64 forms. Wiped on destruction.
class Needles {
 public:
  explicit Needles(std::span<const std::string_view> secrets) {
    for (std::string_view secret : secrets) {
      if (secret.size() < kMinScrubbedSecretSize) {
        continue;
      }
      views_.push_back(secret);
      for (std::string_view alphabet : {kBase64Std, kBase64Url}) {
        Add(Base64Form(secret, 0, alphabet, /*whole=*/true, /*pad=*/true));
        Add(Base64Form(secret, 0, alphabet, /*whole=*/true, /*pad=*/false));
        for (std::size_t shift = 0; shift < 3; ++shift) {
          Add(Base64Form(secret, shift, alphabet, /*whole=*/false, /*pad=*/false));
        }
      }
    }
    for (const std::string& form : forms_) {
      views_.push_back(form);
    }
  }
  Needles(const Needles&) = delete;
  Needles& operator=(const Needles&) = delete;
  ~Needles() {
    for (std::string& form : forms_) {
      OPENSSL_cleanse(form.data(), form.size());
    }
  }

  const std::vector<std::string_view>& views() const { return views_; }

 private:
  void Add(std::string form) {
    if (form.size() >= kMinScrubbedSecretSize) {
      forms_.push_back(std::move(form));
    } else {
      OPENSSL_cleanse(form.data(), form.size());
    }
  }

  std::vector<std::string> forms_;
  std::vector<std::string_view> views_;
};

std::string Redact(std::string_view text, std::span<const std::string_view> secrets,
                   bool partial_at_end) {
  const Needles needles(secrets);
  if (needles.views().empty()) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t longest = 0;
    for (std::string_view needle : needles.views()) {
      if (text[i] == needle.front() || text[i] == '\\') {
        longest = std::max(longest, MatchAt(text, i, needle, partial_at_end));
      }
    }
    if (longest > 0) {
      out += kMask;
      i += longest;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

bool IsControl(std::uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7F || (code_point >= 0x80 && code_point <= 0x9F) ||
         code_point == 0x2028 || code_point == 0x2029 ||
         (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// Control characters to single spaces, invalid UTF-8 to '?', trimmed.
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Char c = DecodeChar(text, i);
    if (c.code_point >= kInvalidByteBase) {
      out.push_back('?');
    } else if (IsControl(c.code_point) || c.code_point == ' ') {
      if (!out.empty() && out.back() != ' ') {
        out.push_back(' ');
      }
    } else {
      out.append(text.substr(i, c.size));
    }
    i += c.size;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::string RedactSecrets(std::string_view text, std::span<const std::string_view> secrets) {
  return Redact(text, secrets, /*partial_at_end=*/false);
}

std::string ScrubBackendText(std::string_view text, std::span<const std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    if (!secret.empty() && secret.size() < kMinScrubbedSecretSize) {
      return {};
    }
  }
  const bool cut = text.size() > kMaxBackendTextSize;
  if (cut) {
    std::size_t end = kMaxBackendTextSize;
    while (end > 0 && (static_cast<std::uint8_t>(text[end]) & 0xC0) == 0x80) {
      --end;  // not inside a character
    }
    text = text.substr(0, end);
  }
  std::string out = Printable(Redact(text, secrets, /*partial_at_end=*/cut));
  if (cut) {
    out += "...";
  }
  return out;
}

std::string SafeErrorCode(std::string_view code, std::span<const std::string_view> secrets) {
  if (code.empty() || code.size() > kMaxErrorCodeSize) {
    return {};
  }
  for (char c : code) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '#' || c == '-';
    if (!ok) {
      return {};
    }
  }
  for (std::string_view secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    if (secret.size() < kMinScrubbedSecretSize) {
      if (code == secret) {
        return {};
      }
      continue;
    }
    // Holding the secret, or being a piece of it (a back end that echoes part of a value).
    const std::string_view one[] = {secret};
    if (RedactSecrets(code, one) != code ||
        (code.size() >= kMinScrubbedSecretSize && secret.find(code) != std::string_view::npos)) {
      return {};
    }
  }
  return std::string(code);
}

}  // namespace locksmith::internal
