// Whether an address lies in a mapping left out of core dumps: the "dd" (MADV_DONTDUMP) flag in
// the VmFlags line of its /proc/self/smaps entry.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace locksmith::testing {

// The VmFlags of the /proc/self/smaps mapping holding `address` (empty if none does).
inline std::vector<std::string> VmFlagsOfMappingHolding(const void* address) {
  const auto target = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream header(line);
    // A mapping's first line, "begin-end perms offset dev inode [path]" in hex; other lines
    // are "Name: value".
    if (line.find(':') > line.find(' ') && header >> std::hex >> begin >> dash >> end &&
        dash == '-') {
      inside = target >= begin && target < end;
      continue;
    }
    if (inside && line.starts_with("VmFlags:")) {
      std::istringstream flags(line.substr(8));
      std::vector<std::string> out;
      for (std::string flag; flags >> flag;) {
        out.push_back(flag);
      }
      return out;
    }
  }
  return {};
}

inline bool IsLeftOutOfCoreDumps(const void* address) {
  for (const std::string& flag : VmFlagsOfMappingHolding(address)) {
    if (flag == "dd") {
      return true;
    }
  }
  return false;
}

}  // namespace locksmith::testing
