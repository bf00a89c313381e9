// EnvReader: typed reading of configuration variables, collecting problems.
#include "config/env_reader.h"

#include <openssl/crypto.h>

#include <array>
#include <cctype>
#include <charconv>

#include "core/strings.h"
#include "locksmith/duration.h"

namespace locksmith::internal {
namespace {

constexpr std::string_view kBoolForm = "true, false, 1, 0, yes or no";
constexpr std::string_view kDurationForm = "a duration such as 300s, 5m, 1h30m or 250ms";

// Non-secret values are quoted in errors to help the operator, short and printable.
std::string Shown(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 64)) {
    out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
  out += s.size() > 64 ? "...'" : "'";
  return out;
}

std::string Number(double v) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), end) : std::to_string(v);
}

// The whole of `text` as a number from `min` to `max`, or nullopt.
template <typename T>
std::optional<T> NumberInRange(std::string_view text, T min, T max) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  // `!(in range)` also rejects NaN.
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= min && v <= max)) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::string> EnvReader::Text(std::string_view name) {
  if (!env_) {
    return std::nullopt;
  }
  std::optional<std::string> raw = env_(name);
  if (!raw.has_value()) {
    return std::nullopt;
  }
  std::string_view trimmed = Trim(*raw);
  if (trimmed.empty()) {
    return std::nullopt;
  }
  return std::string(trimmed);
}

std::optional<SecretValue> EnvReader::Secret(std::string_view name) {
  if (!env_) {
    return std::nullopt;
  }
  std::optional<std::string> raw = env_(name);
  if (!raw.has_value()) {
    return std::nullopt;
  }
  std::optional<SecretValue> out;
  if (!Trim(*raw).empty()) {
    out.emplace(Trim(*raw));
  }
  OPENSSL_cleanse(raw->data(), raw->size());
  return out;
}

void EnvReader::Bool(std::string_view name, bool& out) {
  auto text = Text(name);
  if (!text) {
    return;
  }
  std::string v = ToLower(*text);
  if (v == "true" || v == "1" || v == "yes") {
    out = true;
  } else if (v == "false" || v == "0" || v == "no") {
    out = false;
  } else {
    Invalid(name, *text, kBoolForm);
  }
}

void EnvReader::Duration(std::string_view name, std::chrono::milliseconds& out,
                         std::chrono::milliseconds min) {
  auto text = Text(name);
  if (!text) {
    return;
  }
  auto parsed = ParseDuration(*text);
  if (!parsed.ok()) {
    Invalid(name, *text, kDurationForm);
    return;
  }
  if (*parsed < min) {
    Invalid(name, *text, std::string(kDurationForm) + " of at least " + FormatDuration(min));
    return;
  }
  out = *parsed;
}

void EnvReader::Fraction(std::string_view name, double& out, double min, double max) {
  if (auto text = Text(name)) {
    if (auto v = NumberInRange(*text, min, max)) {
      out = *v;
    } else {
      Invalid(name, *text, "a number from " + Number(min) + " to " + Number(max));
    }
  }
}

void EnvReader::Int(std::string_view name, int& out, int min, int max) {
  if (auto text = Text(name)) {
    if (auto v = NumberInRange(*text, min, max)) {
      out = *v;
    } else {
      Invalid(name, *text,
              "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
  }
}

void EnvReader::Invalid(std::string_view name, std::string_view value, std::string_view expected) {
  problems_.push_back(std::string(name) + "=" + Shown(value) + " is invalid: expected " +
                      std::string(expected));
}

void EnvReader::Problem(std::string text) { problems_.push_back(std::move(text)); }

Result<void> EnvReader::Status() const {
  if (problems_.empty()) {
    return OkResult();
  }
  std::string message = "invalid configuration: ";
  for (std::size_t i = 0; i < problems_.size(); ++i) {
    message += (i == 0 ? "" : "; ") + problems_[i];
  }
  return MakeError(ErrorCode::kInvalidArgument, message);
}

}  // namespace locksmith::internal
