// Signatures of real Secrets Manager requests equal botocore's (Debian python3-botocore, run by
// /usr/bin/python3 through tests/providers/aws/aws_botocore_sign.py) for the same credentials,
// time and body.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_client.h"
#include "support/source_path.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::IsOk;

std::string ScriptPath() {
  return testing::SourcePath("tests/providers/aws/aws_botocore_sign.py");
}

// Runs the script; null JSON if python3 or botocore is missing.
nlohmann::json Botocore(const nlohmann::json& input) {
  std::string arg = input.dump();
  std::string quoted = "'";
  for (char c : arg) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  quoted += "'";
  std::string command = "/usr/bin/python3 " + ScriptPath() + " " + quoted + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return nullptr;
  }
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) {
    out.append(buffer, n);
  }
  ::pclose(pipe);
  return nlohmann::json::parse(out, nullptr, false);
}

struct Case {
  const char* name;
  const char* host;
  const char* region;
  const char* op;
  std::string body;
  bool with_token;
  std::int64_t time;
};

class BotocoreEqualityTest : public ::testing::TestWithParam<Case> {};

TEST_P(BotocoreEqualityTest, AuthorizationMatches) {
  const Case& c = GetParam();
  AwsCredentials credentials;
  credentials.access_key_id = "AKIDLOCKSMITHBOTO";
  credentials.secret_access_key = SecretValue("bOtOcOrE/EqUaLiTy+TeSt/kEy0123456789abcd");
  nlohmann::json input = {{"access_key", credentials.access_key_id},
                          {"secret_key", "bOtOcOrE/EqUaLiTy+TeSt/kEy0123456789abcd"},
                          {"region", c.region},
                          {"time", c.time},
                          {"target", std::string("secretsmanager.") + c.op},
                          {"body", c.body},
                          {"host", c.host}};
  if (c.with_token) {
    credentials.session_token = SecretValue("IQoJb3JpZ2luX2VjEHNlc3Npb24tdG9rZW4vKys9PQ==");
    input["token"] = "IQoJb3JpZ2luX2VjEHNlc3Npb24tdG9rZW4vKys9PQ==";
  }
  nlohmann::json expected = Botocore(input);
  ASSERT_TRUE(expected.is_object()) << "botocore did not answer (apt-get install python3-botocore)";

  auto request = BuildSecretsManagerRequest(
      std::string("https://") + c.host, c.region, c.op, c.body, credentials,
      std::chrono::system_clock::time_point(std::chrono::seconds(c.time)));
  ASSERT_THAT(request, IsOk());
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request->headers) {
    headers[name] = value;
  }
  EXPECT_EQ(headers["X-Amz-Date"], expected["x_amz_date"].get<std::string>());
  EXPECT_EQ(headers["Authorization"], expected["authorization"].get<std::string>());
  EXPECT_EQ(request->body, c.body);

  // The intermediate stages too.
  SigV4Request to_sign;
  to_sign.method = "POST";
  to_sign.body = c.body;
  to_sign.headers = {{"Host", c.host},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string("secretsmanager.") + c.op}};
  SigV4Params params{c.region, "secretsmanager",
                     std::chrono::system_clock::time_point(std::chrono::seconds(c.time))};
  auto signed_request = SignRequest(to_sign, credentials, params);
  ASSERT_THAT(signed_request, IsOk());
  EXPECT_EQ(signed_request->canonical_request, expected["canonical_request"].get<std::string>());
  EXPECT_EQ(signed_request->string_to_sign, expected["string_to_sign"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(
    SecretsManager, BotocoreEqualityTest,
    ::testing::Values(
        Case{
            "GetSecretValue", "secretsmanager.eu-west-1.amazonaws.com", "eu-west-1",
            "GetSecretValue",
            R"({"SecretId":"agentauri-backend/production/jwt-secret","VersionStage":"AWSCURRENT"})",
            false, 1767225600},
        Case{"GetSecretValueWithToken", "secretsmanager.us-east-1.amazonaws.com", "us-east-1",
             "GetSecretValue", R"({"SecretId":"db-encryption-key","VersionId":"abc"})", true,
             1767312345},
        Case{"PutSecretValueUnicode", "secretsmanager.ap-southeast-2.amazonaws.com",
             "ap-southeast-2", "PutSecretValue",
             "{\"SecretId\":\"x\",\"SecretString\":\"p\xc3\xa4ss w\xe2\x82\xacrd\\n\"}", true,
             1700000000},
        Case{"LocalEndpointWithPort", "127.0.0.1:4566", "eu-central-1", "BatchGetSecretValue",
             R"({"SecretIdList":["a","b"]})", false, 1767225600},
        Case{"EmptyBody", "secretsmanager.eu-west-1.amazonaws.com", "eu-west-1", "ListSecrets", "",
             false, 1767225659}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace locksmith::internal
