#include "cli/agent_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using testing::IsOk;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ResolveAgentTokenTest, TakesTheValueItself) {
  auto token = ResolveAgentToken(SecretValue("plain-token-value"));
  ASSERT_THAT(token, IsOk());
  EXPECT_TRUE(token->Equals("plain-token-value"));
}

TEST(ResolveAgentTokenTest, ReadsAFileAndDropsOneNewline) {
  testing::TempDir dir;
  auto path = dir.path() / "token";
  std::ofstream(path) << "file-token-value\n";
  auto token = ResolveAgentToken(SecretValue("file://" + path.string()));
  ASSERT_THAT(token, IsOk());
  EXPECT_TRUE(token->Equals("file-token-value"));

  std::ofstream(path, std::ios::trunc) << "crlf-token\r\n";
  token = ResolveAgentToken(SecretValue("file://" + path.string()));
  ASSERT_THAT(token, IsOk());
  EXPECT_TRUE(token->Equals("crlf-token"));
}

TEST(ResolveAgentTokenTest, Errors) {
  testing::TempDir dir;
  EXPECT_THAT(ResolveAgentToken(SecretValue("")), HasError(ErrorCode::kInvalidArgument));
  auto missing = ResolveAgentToken(SecretValue("file://" + (dir.path() / "nope").string()));
  EXPECT_THAT(missing, HasError(ErrorCode::kNotFound));

  auto empty = dir.path() / "empty";
  std::ofstream(empty) << "\n";
  EXPECT_THAT(ResolveAgentToken(SecretValue("file://" + empty.string())),
              HasError(ErrorCode::kInvalidArgument));

  auto big = dir.path() / "big";
  std::ofstream(big) << std::string(5000, 'a');
  EXPECT_THAT(ResolveAgentToken(SecretValue("file://" + big.string())),
              HasError(ErrorCode::kInvalidArgument));

  if (geteuid() != 0) {
    auto unreadable = dir.path() / "unreadable";
    std::ofstream(unreadable) << "tok";
    chmod(unreadable.c_str(), 0);
    EXPECT_THAT(ResolveAgentToken(SecretValue("file://" + unreadable.string())),
                HasError(ErrorCode::kPermissionDenied));
  }
}

TEST(GenerateAgentTokenTest, IsHexOfRandomBytes) {
  testing::FakeRandom random;
  auto token = GenerateAgentToken(random);
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(token->RevealUnsafe().substr(0, 6), "010203");
  auto second = GenerateAgentToken(random);
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(*token == *second);

  random.FailFill(true);
  EXPECT_THAT(GenerateAgentToken(random), HasError(ErrorCode::kInternal));
}

TEST(WriteAgentTokenFileTest, WritesMode0600AndRoundTrips) {
  testing::TempDir dir;
  auto path = dir.path() / "sub" / "agent.token";
  ASSERT_THAT(WriteAgentTokenFile(path, SecretValue("written-token")), IsOk());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(path), "written-token\n");
  auto back = ResolveAgentToken(SecretValue("file://" + path.string()));
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(back->Equals("written-token"));

  // Replacing an existing, looser file leaves 0600.
  chmod(path.c_str(), 0644);
  ASSERT_THAT(WriteAgentTokenFile(path, SecretValue("second-token")), IsOk());
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(path), "second-token\n");
}

TEST(WriteAgentTokenFileTest, FailsWhenTheDirectoryCannotBeCreated) {
  testing::TempDir dir;
  auto blocker = dir.path() / "file";
  std::ofstream(blocker) << "x";
  EXPECT_THAT(WriteAgentTokenFile(blocker / "agent.token", SecretValue("t")),
              HasError(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace locksmith
