// `locksmith check --scan-log FILE`: whether a log file holds a current secret value. The file is
// streamed in fixed chunks with an overlap of the longest needle, so any file size and any line
// length take bounded memory; every buffer that held file bytes is wiped (a leaked value is still
// a value).
#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "cli/check_command.h"
#include "core/crypto.h"
#include "core/json_bounded.h"

namespace locksmith {
namespace {

constexpr std::size_t kScanChunk = 64 * 1024;

// Every string of at least kMinFieldNeedle bytes in `doc`, at any depth (iteratively).
void CollectJsonStrings(const nlohmann::json& doc, std::string_view name,
                        std::vector<LogNeedle>& out) {
  std::vector<const nlohmann::json*> stack = {&doc};
  while (!stack.empty()) {
    const nlohmann::json* node = stack.back();
    stack.pop_back();
    if (node->is_string()) {
      const std::string& text = node->get_ref<const std::string&>();
      if (text.size() >= kMinFieldNeedle) {
        out.push_back({std::string(name), SecretValue(text)});
      }
    } else if (node->is_structured()) {
      for (const auto& child : *node) {
        stack.push_back(&child);
      }
    }
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Error OpenError(const std::string& path, int error_number) {
  const ErrorCode code = error_number == ENOENT   ? ErrorCode::kNotFound
                         : error_number == EACCES ? ErrorCode::kPermissionDenied
                                                  : ErrorCode::kUnavailable;
  return MakeError(code, "cannot read " + path + ": " + std::strerror(error_number));
}

}  // namespace

std::vector<LogNeedle> NeedlesFor(std::string_view name, const SecretValue& value) {
  std::vector<LogNeedle> needles;
  if (value.empty()) {
    return needles;
  }
  needles.push_back({std::string(name), value.Clone()});
  needles.push_back({std::string(name), internal::Base64EncodeSecret(value.RevealBytesUnsafe())});
  nlohmann::json doc = internal::ParseUntrustedJsonOrNull(value.RevealUnsafe());
  internal::ScopedJsonWipe wipe(doc);
  if (doc.is_object()) {
    CollectJsonStrings(doc, name, needles);
  }
  return needles;
}

Result<LogScanResult> ScanLogFile(const std::string& path, const std::vector<LogNeedle>& needles) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return OpenError(path, errno);
  }
  std::size_t longest = 0;
  for (const LogNeedle& needle : needles) {
    longest = std::max(longest, needle.text.size());
  }
  // buffer = the last (longest - 1) bytes of the data before + the next chunk, so a value split
  // across two reads is still seen whole.
  std::vector<char> buffer(kScanChunk + longest);
  std::size_t kept = 0;            // bytes carried over at the front of `buffer`
  std::uint64_t lines_before = 0;  // newlines before buffer[0]
  std::set<std::uint64_t> lines;
  std::set<std::string> secrets;
  Result<LogScanResult> result = LogScanResult{};
  while (true) {
    const std::size_t got = std::fread(buffer.data() + kept, 1, kScanChunk, file.get());
    if (got == 0) {
      if (std::ferror(file.get())) {
        result = OpenError(path, errno);
      }
      break;
    }
    const std::size_t size = kept + got;
    const std::string_view view(buffer.data(), size);
    for (const LogNeedle& needle : needles) {
      const std::string_view text = needle.text.RevealUnsafe();
      if (text.empty()) {
        continue;
      }
      for (std::size_t at = view.find(text); at != std::string_view::npos;
           at = view.find(text, at + 1)) {
        lines.insert(lines_before + 1 + std::count(view.begin(), view.begin() + at, '\n'));
        secrets.insert(needle.secret);
      }
    }
    const std::size_t carry = std::min(size, longest > 0 ? longest - 1 : 0);
    lines_before += std::count(view.begin(), view.end() - carry, '\n');
    std::memmove(buffer.data(), buffer.data() + size - carry, carry);
    kept = carry;
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  if (result.ok()) {
    result->lines.assign(lines.begin(), lines.end());
    result->secrets.assign(secrets.begin(), secrets.end());
  }
  return result;
}

}  // namespace locksmith
