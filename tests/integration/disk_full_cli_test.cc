// `locksmith put` on a full disk: the real program run with a file size limit (`ulimit -f` under
// /bin/sh, SIGXFSZ ignored, which exec keeps, so a write past the limit fails with EFBIG as a
// write to a full disk fails with ENOSPC). The put exits 5 (unavailable) saying the disk is full,
// never printing the value; the store still opens and serves what it held; nothing of the failed
// put is stored; and the same put succeeds once the limit is gone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "integration/local_store_env.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using testing::ProcessResult;

constexpr char kFullCli[] = LOCKSMITH_CLI_PATH;
constexpr char kFullEarlierValue[] = "planted-before-the-disk-filled";
// 48 KiB in 512-byte blocks: room for SQLite's 32 KiB shared-memory index, not for the WAL
// frames of a 60 KiB value.
constexpr char kFullUlimitBlocks[] = "96";

std::string BigPlantedValue() {
  std::string value = "planted-disk-full-value-";
  while (value.size() < 60 * 1024) {
    value += "0123456789abcdef";
  }
  return value;
}

class DiskFullCliTest : public ::testing::Test {
 protected:
  // Runs `locksmith ARGS` with `input` on stdin, under the file size limit if `limited`.
  ProcessResult RunFull(std::vector<std::string> args, const std::string& input, bool limited) {
    std::vector<std::string> argv;
    if (limited) {
      argv = {"/bin/sh", "-c",
              std::string("trap '' XFSZ; ulimit -f ") + kFullUlimitBlocks + "; exec \"$0\" \"$@\"",
              kFullCli};
    } else {
      argv = {kFullCli};
    }
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv, testing::LocalStoreEnv(dir_.path()));
    EXPECT_TRUE(child.started());
    child.WriteStdinAndClose(input);
    ProcessResult result = child.Finish();
    captured_.push_back(result.err);
    return result;
  }

  testing::TempDir dir_;
  std::vector<std::string> captured_;  // stderr of every run; stdout of all but `get`
};

TEST_F(DiskFullCliTest, PutOnAFullDiskExitsUnavailableAndTheStoreStillServes) {
  ProcessResult first = RunFull({"put", "earlier-secret"}, kFullEarlierValue, false);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  captured_.push_back(first.out);

  ProcessResult full = RunFull({"put", "big-secret"}, BigPlantedValue(), true);
  captured_.push_back(full.out);
  EXPECT_EQ(full.exit_code, 5) << full.err;
  EXPECT_THAT(full.err, HasSubstr("disk full"));

  ProcessResult earlier = RunFull({"get", "earlier-secret"}, "", false);
  ASSERT_EQ(earlier.exit_code, 0) << earlier.err;
  EXPECT_TRUE(earlier.out == std::string(kFullEarlierValue) + "\n");
  ProcessResult absent = RunFull({"get", "big-secret"}, "", false);
  captured_.push_back(absent.out);
  EXPECT_EQ(absent.exit_code, 3) << "the failed put stored something";

  ProcessResult retried = RunFull({"put", "big-secret"}, BigPlantedValue(), false);
  captured_.push_back(retried.out);
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  ProcessResult big = RunFull({"get", "big-secret"}, "", false);
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_TRUE(big.out == BigPlantedValue() + "\n") << big.out.size() << " bytes";

  EXPECT_GT(testing::ExpectNoNeedleLeaked(captured_, {kFullEarlierValue, "planted-disk-full"}), 0u);
}

}  // namespace
}  // namespace locksmith
