#include "core/private_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith::internal {
namespace {

using locksmith::testing::HasError;
using locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kPlanted = "PLANTED-private-file-content";

std::filesystem::path WritePlanted(const std::filesystem::path& path, mode_t mode) {
  std::ofstream(path) << kPlanted;
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

Result<SecretValue> ReadPrivate(const std::filesystem::path& path) {
  return ReadSecretFile(path, "test file", SecretFileRules{});
}

TEST(ReadSecretFileTest, ReadsOurPrivateFile) {
  locksmith::testing::TempDir dir;
  auto value = ReadPrivate(WritePlanted(dir.path() / "f", 0600));
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals(kPlanted));
  ASSERT_EQ(::chmod((dir.path() / "f").c_str(), 0400), 0);
  EXPECT_THAT(ReadPrivate(dir.path() / "f"), IsOk());
}

TEST(ReadSecretFileTest, RefusesWhatSomeoneElseCouldControl) {
  locksmith::testing::TempDir dir;
  auto file = WritePlanted(dir.path() / "f", 0600);

  auto missing = ReadPrivate(dir.path() / "nope");
  EXPECT_THAT(missing, HasError(ErrorCode::kNotFound));

  auto link = dir.path() / "link";
  std::filesystem::create_symlink(file, link);
  auto linked = ReadPrivate(link);
  ASSERT_THAT(linked, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(linked.error().message, HasSubstr("'" + link.string() + "' is a symbolic link"));

  for (mode_t mode : {0640, 0604, 0644, 0660, 0602}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    auto loose = ReadPrivate(file);
    ASSERT_THAT(loose, HasError(ErrorCode::kPermissionDenied));
    EXPECT_THAT(loose.error().message, HasSubstr("chmod 600"));
    EXPECT_THAT(loose.error().message, Not(HasSubstr(kPlanted)));
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);

  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
    auto foreign = ReadPrivate(file);
    ASSERT_THAT(foreign, HasError(ErrorCode::kPermissionDenied));
    EXPECT_THAT(foreign.error().message, HasSubstr("owned by uid 65534, not by uid 0"));
    ASSERT_EQ(::chown(file.c_str(), 0, 0), 0);
  } else {
    // A file of root's that we can read: not ours.
    auto foreign = ReadSecretFile("/etc/hostname", "test file", SecretFileRules{});
    if (foreign.error().code != ErrorCode::kNotFound) {
      EXPECT_THAT(foreign.error().message, HasSubstr("owned by uid 0"));
    }
  }

  auto subdir = dir.path() / "d";
  std::filesystem::create_directory(subdir);
  auto inner = WritePlanted(subdir / "f", 0600);
  for (mode_t mode : {0770, 0707, 0777}) {
    ASSERT_EQ(::chmod(subdir.c_str(), mode), 0);
    auto writable = ReadPrivate(inner);
    ASSERT_THAT(writable, HasError(ErrorCode::kPermissionDenied));
    EXPECT_THAT(writable.error().message, HasSubstr("group or others may write to"));
  }
  ASSERT_EQ(::chmod(subdir.c_str(), 01777), 0);  // sticky, like /tmp: our own file is fine
  EXPECT_THAT(ReadPrivate(inner), IsOk());

  EXPECT_THAT(ReadPrivate(subdir), HasError(ErrorCode::kInvalidArgument));  // a directory
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
  EXPECT_THAT(ReadPrivate(dir.path() / "fifo"), HasError(ErrorCode::kInvalidArgument));
}

TEST(ReadSecretFileTest, SizeCapAndSharedFiles) {
  locksmith::testing::TempDir dir;
  auto big = dir.path() / "big";
  std::ofstream(big) << std::string(5000, 'a');
  ASSERT_EQ(::chmod(big.c_str(), 0600), 0);
  EXPECT_THAT(ReadPrivate(big), HasError(ErrorCode::kInvalidArgument));
  SecretFileRules larger;
  larger.max_size = 5000;
  EXPECT_THAT(ReadSecretFile(big, "test file", larger), IsOk());

  // Shared files (e.g. ~/.aws/config, orchestrator mounts) may be 0644 and reached by a link.
  auto shared = WritePlanted(dir.path() / "shared", 0644);
  auto link = dir.path() / "shared-link";
  std::filesystem::create_symlink(shared, link);
  SecretFileRules rules;
  rules.private_to_owner = false;
  auto value = ReadSecretFile(link, "test file", rules);
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->Equals(kPlanted));
  EXPECT_THAT(ReadSecretFile(dir.path(), "test file", rules),
              HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith::internal
