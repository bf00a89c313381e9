// The SigV4 signer against every header-signing case of the suite in
// tests/data/sigv4/v4/<case>/, each stage compared byte for byte.
#include "providers/aws/sigv4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/crypto.h"
#include "locksmith/testing/matchers.h"
#include "support/source_path.h"

namespace locksmith::internal {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;

std::filesystem::path SuiteDir() { return testing::SourcePath("tests/data/sigv4/v4"); }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(SuiteDir(), ec)) {
    if (std::filesystem::exists(entry.path() / "header-signature.txt")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::chrono::system_clock::time_point ParseTimestamp(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

struct ParsedRequest {
  std::string request_line;
  std::vector<std::string> raw_header_lines;
  SigV4Request request;
  std::string body;
};

// request.txt: request line, headers (continuation lines start with white space), blank line,
// body.
ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest out;
  std::size_t pos = text.find('\n');
  out.request_line = text.substr(0, pos);
  std::size_t first_space = out.request_line.find(' ');
  std::size_t last_space = out.request_line.rfind(' ');
  out.request.method = out.request_line.substr(0, first_space);
  std::string target = out.request_line.substr(first_space + 1, last_space - first_space - 1);
  std::size_t q = target.find('?');
  out.request.path = target.substr(0, q);
  if (q != std::string::npos) {
    out.request.query = target.substr(q + 1);
  }
  pos = pos == std::string::npos ? text.size() : pos + 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (line.empty()) {
      out.body = text.substr(pos);
      break;
    }
    out.raw_header_lines.push_back(line);
    if ((line[0] == ' ' || line[0] == '\t') && !out.request.headers.empty()) {
      out.request.headers.back().second += " " + line;
      continue;
    }
    std::size_t colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  out.request.body = out.body;
  return out;
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {};

TEST(SigV4Suite, AllHeaderCasesPresent) {
  // The suite has 38 header-signing cases; fewer means the data was not found.
  EXPECT_EQ(CaseNames().size(), 38u) << "looked in " << SuiteDir();
}

TEST_P(SigV4SuiteTest, EveryStageMatches) {
  const std::filesystem::path dir = SuiteDir() / GetParam();
  nlohmann::json context = nlohmann::json::parse(ReadFile(dir / "context.json"));
  ParsedRequest parsed = ParseRequest(ReadFile(dir / "request.txt"));

  AwsCredentials credentials;
  credentials.access_key_id = context["credentials"]["access_key_id"];
  credentials.secret_access_key =
      SecretValue(context["credentials"]["secret_access_key"].get<std::string>());
  if (context["credentials"].contains("token")) {
    credentials.session_token = SecretValue(context["credentials"]["token"].get<std::string>());
  }
  SigV4Params params;
  params.region = context["region"];
  params.service = context["service"];
  params.time = ParseTimestamp(context["timestamp"]);
  params.normalize_path = context.value("normalize", true);
  params.sign_body = context.value("sign_body", false);
  params.omit_session_token = context.value("omit_session_token", false);

  auto signed_request = SignRequest(parsed.request, credentials, params);
  ASSERT_THAT(signed_request, IsOk());
  EXPECT_EQ(signed_request->canonical_request, ReadFile(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signed_request->string_to_sign, ReadFile(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_request->signature, ReadFile(dir / "header-signature.txt"));

  std::string text = parsed.request_line + "\n";
  for (const auto& line : parsed.raw_header_lines) {
    text += line + "\n";
  }
  for (const auto& [name, value] : signed_request->added_headers) {
    text += name + ":" + value + "\n";
  }
  text += "\n" + parsed.body;
  EXPECT_EQ(text, ReadFile(dir / "header-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(V4, SigV4SuiteTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(SigV4, SigningKeyMatchesTheDocumentedExample) {
  // From the AWS documentation's "derive a signing key" example.
  auto key = DeriveSigningKey(SecretValue("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20120215",
                              "us-east-1", "iam");
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(HexEncode(key->RevealBytesUnsafe()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, MissingCredentialsAreUnauthenticated) {
  SigV4Request request;
  request.method = "POST";
  request.headers.emplace_back("Host", "example.amazonaws.com");
  SigV4Params params{"us-east-1", "secretsmanager", std::chrono::system_clock::now()};
  EXPECT_THAT(SignRequest(request, AwsCredentials{}, params),
              HasError(ErrorCode::kUnauthenticated));
}

TEST(SigV4, NormalizationRemovesDotSegmentsAndRepeatedSlashes) {
  EXPECT_EQ(CanonicalUri("/a/./b/../c//d/", true), "/a/c/d/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c//d/", false), "/a/./b/../c//d/");
  EXPECT_EQ(CanonicalUri("", true), "/");
  EXPECT_EQ(CanonicalQuery("b=2&a=&c"), "a=&b=2&c=");
}

}  // namespace
}  // namespace locksmith::internal
