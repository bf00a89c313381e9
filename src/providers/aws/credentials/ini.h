// The INI reader of the AWS shared credentials and config files.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "locksmith/result.h"

namespace locksmith::internal {

// One INI file: section -> key -> value. Values may be secrets: the whole map is wiped.
struct IniFile {
  std::map<std::string, std::map<std::string, std::string>> sections;
  ~IniFile();
};

// Sections, key = value lines; '#' and ';' comments, nested sub-properties and stray lines
// ignored (as the SDKs do). kInvalidArgument for a malformed section header.
Result<IniFile> ParseIniText(std::string_view text);

// The file at `path` parsed; a missing file is an empty one.
Result<IniFile> ReadIniFile(const std::filesystem::path& path);

}  // namespace locksmith::internal
