// --secret-files: the private directory, atomic 0600 files, clean-up, refused directories.
#include "cli/secret_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;

unsigned SecretFileMode(const std::filesystem::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

std::string SecretFileContent(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SecretFilesDirTest, CreatesAPrivateDirectoryAndRemovesItWithItsFiles) {
  testing::TempDir tmp;
  const auto dir = tmp.path() / "secrets";
  {
    auto files = SecretFilesDir::Create(dir);
    ASSERT_THAT(files, IsOk());
    EXPECT_EQ(SecretFileMode(dir), 0700u);
    auto path = (*files)->Write("JWT_SECRET", SecretValue("first"));
    ASSERT_THAT(path, IsOk());
    EXPECT_EQ(*path, (dir / "JWT_SECRET").string());
    EXPECT_EQ(SecretFileMode(*path), 0600u);
    EXPECT_EQ(SecretFileContent(*path), "first");
    ASSERT_THAT((*files)->Write("JWT_SECRET", SecretValue("second")), IsOk());
    EXPECT_EQ(SecretFileContent(*path), "second");
    // Only the file itself: no temporary left beside it.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(SecretFilesDirTest, KeepsAnExistingPrivateDirectoryButRemovesItsFiles) {
  testing::TempDir tmp;
  const auto dir = tmp.path() / "mine";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  {
    auto files = SecretFilesDir::Create(dir);
    ASSERT_THAT(files, IsOk());
    ASSERT_THAT((*files)->Write("A", SecretValue("v")), IsOk());
  }
  EXPECT_TRUE(std::filesystem::exists(dir));
  EXPECT_FALSE(std::filesystem::exists(dir / "A"));
}

TEST(SecretFilesDirTest, RefusesLooseSymlinkedMissingParentAndNonDirectory) {
  testing::TempDir tmp;
  const auto loose = tmp.path() / "loose";
  ASSERT_EQ(::mkdir(loose.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(loose.c_str(), 0750), 0);
  auto refused = SecretFilesDir::Create(loose);
  EXPECT_THAT(refused, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(refused.error().message, HasSubstr("chmod 700"));

  const auto link = tmp.path() / "link";
  std::filesystem::create_directory_symlink(loose, link);
  EXPECT_THAT(SecretFilesDir::Create(link), HasError(ErrorCode::kPermissionDenied));

  EXPECT_THAT(SecretFilesDir::Create(tmp.path() / "no" / "such"), HasError(ErrorCode::kNotFound));

  const auto file = tmp.path() / "file";
  std::ofstream(file) << "x";
  EXPECT_THAT(SecretFilesDir::Create(file), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(SecretFilesDir::Create(""), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith
