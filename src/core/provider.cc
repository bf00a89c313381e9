#include "locksmith/provider.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace locksmith {

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kCurrent:
      return "current";
    case Stage::kPrevious:
      return "previous";
    case Stage::kPending:
      return "pending";
  }
  return "current";
}

std::optional<Stage> ParseStage(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.starts_with("aws")) {
    lower.erase(0, 3);
  }
  if (lower == "current") {
    return Stage::kCurrent;
  }
  if (lower == "previous") {
    return Stage::kPrevious;
  }
  if (lower == "pending") {
    return Stage::kPending;
  }
  return std::nullopt;
}

bool VersionInfo::HasStage(Stage s) const {
  return std::find(stages.begin(), stages.end(), s) != stages.end();
}

}  // namespace locksmith
