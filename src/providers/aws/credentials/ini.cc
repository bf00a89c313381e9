#include "providers/aws/credentials/ini.h"

#include "core/private_file.h"
#include "core/strings.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {
namespace {

constexpr std::size_t kMaxIniFileSize = 1 << 20;

}  // namespace

IniFile::~IniFile() {
  for (auto& [section, keys] : sections) {
    for (auto& [key, value] : keys) {
      WipeString(value);
    }
  }
}

Result<IniFile> ParseIniText(std::string_view text) {
  IniFile ini;
  std::string section;
  std::size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string line(Trim(text.substr(pos, end - pos)));
    pos = end + 1;
    ++line_number;
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        return MakeError(ErrorCode::kInvalidArgument,
                         "malformed section header on line " + std::to_string(line_number));
      }
      section = std::string(Trim(std::string_view(line).substr(1, line.size() - 2)));
      ini.sections[section];
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string::npos || section.empty()) {
      WipeString(line);
      continue;  // nested sub-properties and stray lines are ignored, as the SDKs do
    }
    std::string key(Trim(std::string_view(line).substr(0, eq)));
    ini.sections[section][key] = std::string(Trim(std::string_view(line).substr(eq + 1)));
    WipeString(line);
  }
  return ini;
}

Result<IniFile> ReadIniFile(const std::filesystem::path& path) {
  // Shared files (often 0644, sometimes mounted through links): no owner or mode rules, but read
  // through read(2) into wiped memory, not a stream whose buffers keep the keys.
  SecretFileRules rules;
  rules.private_to_owner = false;
  rules.max_size = kMaxIniFileSize;
  Result<SecretValue> text = ReadSecretFile(path, "AWS shared file", rules);
  if (!text.ok()) {
    if (text.error().code == ErrorCode::kNotFound) {
      return IniFile{};  // a missing file is an empty one
    }
    return std::move(text).error();
  }
  return ParseIniText(text->RevealUnsafe());
}

}  // namespace locksmith::internal
