#include "providers/aws/credentials/ini.h"

#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "transport/http_client.h"  // WipeString

namespace locksmith::internal {

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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return IniFile{};  // a missing file is an empty one
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto ini = ParseIniText(text);
  WipeString(text);
  return ini;
}

}  // namespace locksmith::internal
