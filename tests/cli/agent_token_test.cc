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

// A token file as the user would prepare it: mode 0600.
void WritePrivate(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::trunc) << content;
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
}

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
  WritePrivate(path, "file-token-value\n");
  auto token = ResolveAgentToken(SecretValue("file://" + path.string()));
  ASSERT_THAT(token, IsOk());
  EXPECT_TRUE(token->Equals("file-token-value"));

  WritePrivate(path, "crlf-token\r\n");
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
  WritePrivate(empty, "\n");
  EXPECT_THAT(ResolveAgentToken(SecretValue("file://" + empty.string())),
              HasError(ErrorCode::kInvalidArgument));

  auto big = dir.path() / "big";
  WritePrivate(big, std::string(5000, 'a'));
  EXPECT_THAT(ResolveAgentToken(SecretValue("file://" + big.string())),
              HasError(ErrorCode::kInvalidArgument));

  if (geteuid() != 0) {
    auto unreadable = dir.path() / "unreadable";
    WritePrivate(unreadable, "tok");
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
  ASSERT_EQ(stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);  // was 0755 (issue 9)
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

// Issue 9: the token file's mode and owner were not checked, and its directory was created 0755.
TEST(ResolveAgentTokenTest, RefusesATokenFileOthersCouldReadOrSwap) {
  testing::TempDir dir;
  auto path = dir.path() / "token";
  WritePrivate(path, "PLANTED-token\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto loose = ResolveAgentToken(SecretValue("file://" + path.string()));
  ASSERT_THAT(loose, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(loose.error().message, ::testing::HasSubstr("chmod 600"));
  EXPECT_THAT(loose.error().message, ::testing::Not(::testing::HasSubstr("PLANTED")));

  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto link = dir.path() / "link";
  std::filesystem::create_symlink(path, link);
  auto linked = ResolveAgentToken(SecretValue("file://" + link.string()));
  ASSERT_THAT(linked, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(linked.error().message, ::testing::HasSubstr("symbolic link"));
}

TEST(LoadOrCreateAgentTokenFileTest, KeepsTheTokenAcrossRestarts) {
  testing::TempDir dir;
  testing::FakeRandom random;
  auto path = dir.path() / "new" / "agent.token";
  auto first = LoadOrCreateAgentTokenFile(path, random);
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->token.size(), 64u);
  struct stat st {};
  ASSERT_EQ(stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = LoadOrCreateAgentTokenFile(path, random);  // the next agent start
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->created);
  EXPECT_TRUE(second->token == first->token);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left behind
}

TEST(LoadOrCreateAgentTokenFileTest, RefusesRatherThanReplacesAFileThatFailsTheChecks) {
  testing::TempDir dir;
  testing::FakeRandom random;
  auto path = dir.path() / "agent.token";
  WritePrivate(path, "kept-token\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(LoadOrCreateAgentTokenFile(path, random), HasError(ErrorCode::kPermissionDenied));
  EXPECT_EQ(ReadFile(path), "kept-token\n");

  auto link = dir.path() / "link.token";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  std::filesystem::create_symlink(path, link);
  EXPECT_THAT(LoadOrCreateAgentTokenFile(link, random), HasError(ErrorCode::kPermissionDenied));

  WritePrivate(path, "");
  EXPECT_THAT(LoadOrCreateAgentTokenFile(path, random), HasError(ErrorCode::kInvalidArgument));

  // A directory others may write to could have the token swapped: refused, not used. One that
  // others may only read (0755, as older versions created it) is fine.
  auto shared = dir.path() / "shared";
  std::filesystem::create_directory(shared);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  auto in_shared = LoadOrCreateAgentTokenFile(shared / "agent.token", random);
  ASSERT_THAT(in_shared, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(in_shared.error().message, ::testing::HasSubstr("chmod go-w"));
  EXPECT_THAT(WriteAgentTokenFile(shared / "agent.token", SecretValue("t")),
              HasError(ErrorCode::kPermissionDenied));
  ASSERT_EQ(::chmod(shared.c_str(), 0755), 0);
  EXPECT_THAT(LoadOrCreateAgentTokenFile(shared / "agent.token", random), IsOk());
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
