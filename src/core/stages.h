// The one table of stage labels: Stage <-> "current" / "previous" / "pending" (locksmith's own
// names) and Stage <-> "AWSCURRENT" / "AWSPREVIOUS" / "AWSPENDING" (AWS staging labels, also
// spoken by the agent's GetSecretValue-shaped API).
#pragma once

#include <optional>
#include <string_view>

#include "locksmith/provider.h"

namespace locksmith::internal {

// "current", "previous", "pending".
std::string_view StageLabel(Stage stage);
// The stage named exactly so ("current", ...); nullopt for anything else.
std::optional<Stage> StageFromLabel(std::string_view label);

// "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING".
std::string_view AwsStageLabel(Stage stage);
// The stage of an AWS staging label, exactly as AWS writes it; nullopt for custom labels.
std::optional<Stage> StageFromAwsLabel(std::string_view label);

}  // namespace locksmith::internal
