#include "agent/secret_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"

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

// A JSON string holds only UTF-8: other bytes come out base64-encoded under SecretBinary (before,
// they were copied raw into SecretString, which no JSON parser accepts).
TEST(SecretToJsonTest, BytesThatAreNotUtf8AreSecretBinary) {
  const std::string bytes("over\xC0\xAFlong\xED\xA0\x80\x00", 14);
  Secret secret{"bin", VersionInfo{"v1", {Stage::kCurrent}, {}}, SecretValue(bytes)};
  json parsed = json::parse(SecretToJson(secret, "").RevealUnsafe());
  EXPECT_FALSE(parsed.contains("SecretString"));
  auto decoded = Base64Decode(parsed["SecretBinary"].get<std::string>());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::string(decoded->begin(), decoded->end()), bytes);
}

}  // namespace
}  // namespace locksmith::internal
