// ReplaceFileAtomically: the exact mode from creation, the old file kept on every error, no
// temporary file left behind.
#include "cli/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;

std::string SlurpFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::size_t EntriesIn(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++n;
  }
  return n;
}

TEST(AtomicFileTest, WritesTheContentWithExactlyTheModeWhateverTheUmask) {
  testing::TempDir dir;
  mode_t old_umask = ::umask(077);
  auto written = ReplaceFileAtomically(dir.path() / "app.conf", "line\n", 0644);
  ::umask(old_umask);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(SlurpFile(dir.path() / "app.conf"), "line\n");
  EXPECT_EQ(ModeOf(dir.path() / "app.conf"), 0644u);
  EXPECT_EQ(EntriesIn(dir.path()), 1u);  // no temporary file left
}

TEST(AtomicFileTest, ReplacesAnExistingFileAndItsMode) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "app.conf";
  ASSERT_THAT(ReplaceFileAtomically(path, "old", 0644), IsOk());
  ASSERT_THAT(ReplaceFileAtomically(path, "new content", 0600), IsOk());
  EXPECT_EQ(SlurpFile(path), "new content");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST(AtomicFileTest, ReplacesASymbolicLinkInsteadOfWritingThroughIt) {
  testing::TempDir dir;
  std::filesystem::path target = dir.path() / "elsewhere";
  ASSERT_THAT(ReplaceFileAtomically(target, "untouched", 0600), IsOk());
  std::filesystem::create_symlink(target, dir.path() / "link");
  ASSERT_THAT(ReplaceFileAtomically(dir.path() / "link", "rendered", 0600), IsOk());
  EXPECT_EQ(SlurpFile(target), "untouched");
  EXPECT_FALSE(std::filesystem::is_symlink(dir.path() / "link"));
  EXPECT_EQ(SlurpFile(dir.path() / "link"), "rendered");
}

TEST(AtomicFileTest, MissingDirectoryIsNotFoundNamingThePath) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "missing" / "app.conf";
  auto written = ReplaceFileAtomically(path, "x", 0600);
  ASSERT_THAT(written, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(written.error().message, HasSubstr(path.string()));
}

TEST(AtomicFileTest, ParentThatIsAFileIsNotFound) {
  testing::TempDir dir;
  ASSERT_THAT(ReplaceFileAtomically(dir.path() / "plain", "x", 0600), IsOk());
  EXPECT_THAT(ReplaceFileAtomically(dir.path() / "plain" / "app.conf", "x", 0600),
              HasError(ErrorCode::kNotFound));
}

TEST(AtomicFileTest, UnwritableDirectoryIsDeniedAndTheOldFileStays) {
  testing::TempDir dir;
  std::filesystem::path locked = dir.path() / "locked";
  std::filesystem::create_directory(locked);
  ASSERT_THAT(ReplaceFileAtomically(locked / "app.conf", "old", 0600), IsOk());
  std::filesystem::path target = locked / "app.conf";
  if (::geteuid() == 0) {
    // root writes anywhere it may chmod; sysfs refuses new files even to root.
    target = "/sys/locksmith-template-test";
  } else {
    ::chmod(locked.c_str(), 0500);
  }
  auto written = ReplaceFileAtomically(target, "new", 0600);
  ::chmod(locked.c_str(), 0700);
  ASSERT_THAT(written, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(written.error().message, HasSubstr(target.string()));
  EXPECT_EQ(SlurpFile(locked / "app.conf"), "old");
  EXPECT_EQ(EntriesIn(locked), 1u);
}

TEST(AtomicFileTest, RemovesOnlyTheStaleTemporaryFilesOfItsOwnNaming) {
  testing::TempDir dir;
  const std::filesystem::path target = dir.path() / "app.conf";
  ASSERT_THAT(ReplaceFileAtomically(target, "rendered", 0600), IsOk());
  // What a render killed between mkostemp and rename leaves behind: two of them.
  std::ofstream(dir.path() / ".app.conf.locksmith-AbC123") << "half a ren";
  std::ofstream(dir.path() / ".app.conf.locksmith-xyz789") << "";
  // Not ours: another destination's, a name of another shape, a directory, a symbolic link.
  std::ofstream(dir.path() / ".other.conf.locksmith-AbC123") << "x";
  std::ofstream(dir.path() / ".app.conf.locksmith-short") << "x";
  std::ofstream(dir.path() / ".app.conf.locksmith-Ab_123") << "x";
  std::filesystem::create_directory(dir.path() / ".app.conf.locksmith-Dir123");
  std::filesystem::create_symlink(target, dir.path() / ".app.conf.locksmith-Lnk123");

  auto removed = RemoveStaleTemporaryFiles(target);
  ASSERT_THAT(removed, IsOk());
  EXPECT_EQ(*removed, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ".app.conf.locksmith-AbC123"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ".app.conf.locksmith-xyz789"));
  EXPECT_EQ(SlurpFile(target), "rendered");
  EXPECT_EQ(EntriesIn(dir.path()), 6u);  // the target and the five that are not ours
  auto again = RemoveStaleTemporaryFiles(target);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, 0u);
}

TEST(AtomicFileTest, StaleTemporaryFilesOfAMissingDirectoryAreNone) {
  testing::TempDir dir;
  auto removed = RemoveStaleTemporaryFiles(dir.path() / "no-such-dir" / "app.conf");
  ASSERT_THAT(removed, IsOk());
  EXPECT_EQ(*removed, 0u);
}

TEST(AtomicFileTest, StaleTemporaryFilesUnderAFileAreNotFoundNamingThePath) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "plain") << "x";
  const std::filesystem::path target = dir.path() / "plain" / "app.conf";
  auto removed = RemoveStaleTemporaryFiles(target);
  ASSERT_THAT(removed, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(removed.error().message, HasSubstr(target.string()));
}

}  // namespace
}  // namespace locksmith
