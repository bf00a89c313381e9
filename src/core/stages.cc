#include "core/stages.h"

#include <array>

namespace locksmith::internal {
namespace {

struct StageLabels {
  Stage stage;
  std::string_view name;
  std::string_view aws;
};

constexpr std::array<StageLabels, 3> kStages = {{
    {Stage::kCurrent, "current", "AWSCURRENT"},
    {Stage::kPrevious, "previous", "AWSPREVIOUS"},
    {Stage::kPending, "pending", "AWSPENDING"},
}};

const StageLabels& Row(Stage stage) {
  for (const StageLabels& row : kStages) {
    if (row.stage == stage) {
      return row;
    }
  }
  return kStages.front();  // not reached for a valid Stage
}

}  // namespace

std::string_view StageLabel(Stage stage) { return Row(stage).name; }

std::optional<Stage> StageFromLabel(std::string_view label) {
  for (const StageLabels& row : kStages) {
    if (row.name == label) {
      return row.stage;
    }
  }
  return std::nullopt;
}

std::string_view AwsStageLabel(Stage stage) { return Row(stage).aws; }

std::optional<Stage> StageFromAwsLabel(std::string_view label) {
  for (const StageLabels& row : kStages) {
    if (row.aws == label) {
      return row.stage;
    }
  }
  return std::nullopt;
}

}  // namespace locksmith::internal
