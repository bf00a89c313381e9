// The local store on a full disk: a writer process whose file size limit (RLIMIT_FSIZE, SIGXFSZ
// ignored, so a write past it fails with EFBIG as one past the end of a full disk fails with
// ENOSPC) puts until a put fails. That put is a clear UNAVAILABLE naming the cause, never a value;
// nothing it did not acknowledge is stored; the same process still reads; and afterwards, in a
// process without the limit, the store opens, every acknowledged version reads back, and a new
// write succeeds.
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "providers/local/local_store_crash_util.h"
#include "providers/local/local_store_test_util.h"
#include "providers/local/sqlite.h"

namespace locksmith::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFullName[] = "disk-full/secret";
constexpr std::size_t kFullValueSize = 16 * 1024;
constexpr rlim_t kFullRoom = 256 * 1024;  // what the writer may add to any file
constexpr int kFullMaxPuts = 1000;        // far more than fit

std::string FullValue(int i) {
  std::string value = CrashCheckedValue("full-" + std::to_string(i) + "-" + kFullName);
  // Pad to kFullValueSize and re-seal, so every put adds several pages to the WAL.
  value.resize(kFullValueSize - 64, static_cast<char>('a' + i % 26));
  return CrashCheckedValue(value + "-" + kFullName);
}

// The writer: opens the store, ignores SIGXFSZ, limits file sizes, then puts FullValue(i) until
// a put fails. Reports '.' per acknowledged put, then "F<code>:<message>\n", then 'G' if the
// current value still reads back as the last acknowledged one in this process.
[[noreturn]] void RunFullWriter(const LocalStoreOptions& base, rlim_t limit, int fd) {
  LocalStoreOptions options;
  options.store_path = base.store_path;
  options.master_key_base64 = base.master_key_base64->Clone();
  FakeClock clock;
  auto store = CreateLocalStoreProvider(std::move(options), clock, SystemRandom());
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit rl{limit, limit};
  if (!store.ok() || ::setrlimit(RLIMIT_FSIZE, &rl) != 0) {
    ::_exit(1);
  }
  int acked = 0;
  for (; acked < kFullMaxPuts; ++acked) {
    auto put = (*store)->Put(kFullName, SecretValue(FullValue(acked)), Stage::kCurrent);
    if (!put.ok()) {
      const std::string report = "F" + std::to_string(static_cast<int>(put.error().code)) + ":" +
                                 put.error().message + "\n";
      (void)!::write(fd, report.data(), report.size());
      break;
    }
    (void)!::write(fd, ".", 1);
  }
  auto got = (*store)->Get(kFullName, VersionSelector::Current());
  if (acked > 0 && got.ok() && got->value.RevealUnsafe() == FullValue(acked - 1)) {
    (void)!::write(fd, "G", 1);
  }
  ::_exit(0);
}

class LocalStoreDiskFullTest : public LocalStoreTestBase {};

TEST_F(LocalStoreDiskFullTest, AFullDiskFailsThePutClearlyAndLosesNothingAcknowledged) {
  const LocalStoreOptions options = KeyOptions();
  const std::string earlier = CrashCheckedValue(std::string("earlier-") + kFullName);
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Put(kFullName, SecretValue(earlier), Stage::kCurrent), IsOk());
  }
  const rlim_t limit = static_cast<rlim_t>(std::filesystem::file_size(StorePath())) + kFullRoom;

  CrashChild child = ForkCrashChild([&](int fd) { RunFullWriter(options, limit, fd); });
  ASSERT_GT(child.pid, 0);
  std::string reports;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(child.fd, buffer, sizeof(buffer))) > 0) {
    reports.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(child.fd);
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  const std::size_t failure = reports.find('F');
  ASSERT_NE(failure, std::string::npos) << "no put failed: the limit did not apply";
  const int acked = static_cast<int>(failure);
  ASSERT_EQ(reports.substr(0, failure), std::string(failure, '.'));
  ASSERT_GT(acked, 0) << "the limit left no room for any put";
  const std::size_t colon = reports.find(':', failure);
  const std::size_t end = reports.find('\n', failure);
  ASSERT_NE(colon, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string message = reports.substr(colon + 1, end - colon - 1);
  EXPECT_EQ(reports.substr(failure + 1, colon - failure - 1),
            std::to_string(static_cast<int>(ErrorCode::kUnavailable)));
  EXPECT_THAT(message, HasSubstr("local store"));
  EXPECT_THAT(message, HasSubstr("disk full"));
  EXPECT_THAT(message, Not(HasSubstr(std::to_string(acked) + "-" + kFullName)));  // no value
  EXPECT_EQ(reports.substr(end + 1), "G") << "the writer could not read after the failure";
  std::printf("disk full: %d puts of %zu bytes acknowledged, then: %s\n", acked, kFullValueSize,
              message.c_str());

  // Without the limit: every acknowledged version, and nothing else, is stored.
  auto store = Open();
  ASSERT_NE(store, nullptr) << "the store did not open after the disk filled";
  auto description = store->Describe(kFullName);
  ASSERT_THAT(description, IsOk());
  ASSERT_EQ(description->versions.size(), static_cast<std::size_t>(acked) + 1);
  for (std::size_t i = 0; i < description->versions.size(); ++i) {
    // Newest first: FullValue(acked - 1) ... FullValue(0), then the earlier value.
    const int index = acked - 1 - static_cast<int>(i);
    auto got = store->Get(kFullName, VersionSelector::ById(description->versions[i].version_id));
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE(got->value.RevealUnsafe() == (index >= 0 ? FullValue(index) : earlier))
        << "version " << i << " holds something else";
  }
  auto current = store->Get(kFullName, VersionSelector::Current());
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->value.RevealUnsafe() == FullValue(acked - 1));

  // Space is back: the next write succeeds.
  ASSERT_THAT(store->Put(kFullName, SecretValue(FullValue(acked)), Stage::kCurrent), IsOk());
  auto after = store->Get(kFullName, VersionSelector::Current());
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->value.RevealUnsafe() == FullValue(acked));
}

// SQLite says only "disk I/O error" for a write that hit a full disk or a file size limit.
TEST(SqliteErrorTest, AWriteThatFoundTheDiskFullSaysSo) {
  for (int os_errno : {ENOSPC, EFBIG, EDQUOT}) {
    Error error =
        internal::SqliteError(nullptr, SQLITE_IOERR_WRITE, "running a statement", os_errno);
    EXPECT_EQ(error.code, ErrorCode::kUnavailable);
    EXPECT_THAT(error.message, HasSubstr("disk I/O error (disk full: "));
    EXPECT_THAT(error.message, HasSubstr(std::strerror(os_errno)));
  }
  Error full = internal::SqliteError(nullptr, SQLITE_FULL, "running a statement", ENOSPC);
  EXPECT_THAT(full.message, HasSubstr("(disk full: "));
}

TEST(SqliteErrorTest, OtherIoErrorsNameTheCauseAndOtherErrorsIgnoreErrno) {
  Error io = internal::SqliteError(nullptr, SQLITE_IOERR_FSYNC, "running a statement", EIO);
  EXPECT_EQ(io.code, ErrorCode::kUnavailable);
  EXPECT_THAT(io.message, HasSubstr(std::string("(") + std::strerror(EIO) + ")"));
  EXPECT_THAT(io.message, Not(HasSubstr("disk full")));
  // errno left over from something else says nothing about a constraint failure.
  Error constraint =
      internal::SqliteError(nullptr, SQLITE_CONSTRAINT_UNIQUE, "running a statement", ENOSPC);
  EXPECT_EQ(constraint.code, ErrorCode::kAborted);
  EXPECT_THAT(constraint.message, Not(HasSubstr("disk full")));
  EXPECT_THAT(constraint.message, Not(HasSubstr("(")));
}

}  // namespace
}  // namespace locksmith::testing
