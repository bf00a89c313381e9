#include "locksmith/provider.h"

#include <algorithm>
#include <string>

#include "core/stages.h"
#include "core/strings.h"

namespace locksmith {

std::string_view StageName(Stage stage) { return internal::StageLabel(stage); }

std::optional<Stage> ParseStage(std::string_view text) {
  std::string lower = internal::ToLower(text);
  std::string_view name = lower;
  if (name.starts_with("aws")) {
    name.remove_prefix(3);
  }
  return internal::StageFromLabel(name);
}

bool VersionInfo::HasStage(Stage s) const {
  return std::find(stages.begin(), stages.end(), s) != stages.end();
}

}  // namespace locksmith
