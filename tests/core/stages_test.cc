#include "core/stages.h"

#include <gtest/gtest.h>

namespace locksmith::internal {
namespace {

TEST(StagesTest, EveryStageRoundTripsThroughBothLabels) {
  for (Stage stage : {Stage::kCurrent, Stage::kPrevious, Stage::kPending}) {
    EXPECT_EQ(StageFromLabel(StageLabel(stage)), stage);
    EXPECT_EQ(StageFromAwsLabel(AwsStageLabel(stage)), stage);
    EXPECT_EQ(ParseStage(StageName(stage)), stage);
    EXPECT_EQ(ParseStage(AwsStageLabel(stage)), stage);
  }
  EXPECT_EQ(StageLabel(Stage::kPrevious), "previous");
  EXPECT_EQ(AwsStageLabel(Stage::kPending), "AWSPENDING");
}

TEST(StagesTest, ExactLabelsOnlyExceptInParseStage) {
  EXPECT_FALSE(StageFromAwsLabel("awscurrent").has_value());  // AWS labels are case-sensitive
  EXPECT_FALSE(StageFromAwsLabel("my-custom-label").has_value());
  EXPECT_FALSE(StageFromLabel("Current").has_value());
  EXPECT_FALSE(StageFromLabel("").has_value());
  // ParseStage (user input) folds case and accepts the AWS prefix.
  EXPECT_EQ(ParseStage("AwsPrevious"), Stage::kPrevious);
  EXPECT_EQ(ParseStage("CURRENT"), Stage::kCurrent);
  EXPECT_FALSE(ParseStage("aws").has_value());
  EXPECT_FALSE(ParseStage("latest").has_value());
}

}  // namespace
}  // namespace locksmith::internal
