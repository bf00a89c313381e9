#include "agent/secret_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace locksmith::internal {
namespace {

using json = nlohmann::json;

TEST(SecretToJsonTest, EscapesAndParsesBack) {
  std::string value = std::string("q\"uote\\back\nline\ttab\x01\x1f ünï ") + "end";
  Secret secret{"name", VersionInfo{"v7", {Stage::kCurrent, Stage::kPending}, {}},
                SecretValue(value)};
  secret.version.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(1500));
  SecretValue doc = SecretToJson(secret, "locksmith:local:name");
  json parsed = json::parse(doc.RevealUnsafe());
  EXPECT_EQ(parsed["SecretString"], value);
  EXPECT_EQ(parsed["ARN"], "locksmith:local:name");
  EXPECT_EQ(parsed["Name"], "name");
  EXPECT_EQ(parsed["VersionId"], "v7");
  EXPECT_EQ(parsed["VersionStages"], json::array({"AWSCURRENT", "AWSPENDING"}));
  EXPECT_DOUBLE_EQ(parsed["CreatedDate"].get<double>(), 1.5);
}

TEST(SecretToJsonTest, OmitsArnWhenEmpty) {
  Secret secret{"n", VersionInfo{"v1", {Stage::kPrevious}, {}}, SecretValue("x")};
  json parsed = json::parse(SecretToJson(secret, "").RevealUnsafe());
  EXPECT_FALSE(parsed.contains("ARN"));
  EXPECT_EQ(parsed["VersionStages"], json::array({"AWSPREVIOUS"}));
}

}  // namespace
}  // namespace locksmith::internal
