// The crash loop: reencrypt_runner (one ReencryptionJob in a process of its own) started again and
// again and killed with SIGKILL after a random delay (seeded PRNG), at least kCrashKills times,
// while an application thread keeps rewriting rows (under the new key and the old one); then one
// run to completion. Every row must then be on the new key, decrypt under its own context to
// what it should hold (the application's last write where it wrote, else the original), and the
// row count be unchanged: no kill lost or corrupted a row, and no job write put stale data over
// an application write. Waiting a random delay before each kill is the point of the test: it
// spreads the kills over connect, count, read, crypto, UPDATE and COMMIT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <pqxx/nontransaction>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "reencrypt/reencrypt_test_util.h"
#include "support/postgres_cluster.h"

extern char** environ;

namespace locksmith {
namespace {

using testing::IsOk;
using testing::PostgresCluster;

// Sized for a 2-core machine under ASan at -O0 (see docs/reencryption.md for the measured run).
constexpr long kCrashRows = 100000;
constexpr int kCrashKills = 100;
constexpr char kCrashBatchSize[] = "1000";
// Kill delays are uniform in [0, max]; the max starts here and halves whenever a runner finished
// before its kill (a faster build, or little work left), so every build gets its 100 kills.
constexpr int kCrashMaxDelayMs = 1000;
constexpr int kCrashWritesPerRound = 40;
constexpr std::uint64_t kCrashSeed = 20261102;

// reencrypt_runner, built next to this test binary.
std::string CrashRunnerPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "reencrypt_runner")
      .string();
}

pid_t SpawnCrashRunner(const std::string& dsn, const std::string& table) {
  const std::string path = CrashRunnerPath();
  std::vector<std::string> args = {path, dsn, table, kCrashBatchSize};
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    return -1;
  }
  return pid;
}

long long CrashMs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

int WaitCrashRunner(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return status;
}

TEST(ReencryptCrashLoopTest, HundredSigkillsThenARerunLoseNothingAndOverwriteNoApplicationWrite) {
  auto cluster = PostgresCluster::Shared();
  ASSERT_THAT(cluster, IsOk());
  const std::string dsn = (*cluster)->Dsn();
  const std::string table = "crash_loop_rows";
  pqxx::connection db(dsn);
  testing::FakeRandom fake_random;
  auto old_ring = reencrypt_test::FixedTestRing({"v1"}, fake_random);
  auto new_ring = reencrypt_test::FixedTestRing({"v2", "v1"}, fake_random);
  ASSERT_THAT(old_ring, IsOk());
  ASSERT_THAT(new_ring, IsOk());
  const auto setup_start = std::chrono::steady_clock::now();
  ASSERT_THAT(reencrypt_test::CreateEncryptedTable(db, table, kCrashRows, **old_ring), IsOk());
  std::printf("crash loop: table of %ld rows filled in %lld ms\n", kCrashRows,
              static_cast<long long>(CrashMs(std::chrono::steady_clock::now() - setup_start)));

  // The application: at each round (a runner started), rewrites kCrashWritesPerRound random rows
  // with fresh values, half under the new key and half under the old one (an instance that has
  // not seen the rotation yet), while the runner works.
  std::mutex writer_mu;
  std::condition_variable writer_cv;
  int rounds_started = 0;
  bool stop_writer = false;
  std::map<long, std::string> app_plaintext;  // the writer's; read after join
  std::string writer_error;
  std::thread writer([&] {
    try {
      pqxx::connection app(dsn);
      std::mt19937_64 rng(kCrashSeed + 1);
      int rounds_done = 0;
      for (int n = 0;; ++n) {
        if (n % kCrashWritesPerRound == 0) {
          std::unique_lock lock(writer_mu);
          writer_cv.wait(lock, [&] { return stop_writer || rounds_started > rounds_done; });
          if (stop_writer) {
            return;
          }
          ++rounds_done;
        }
        const long id = static_cast<long>(rng() % kCrashRows) + 1;
        const std::string plaintext = "app" + std::to_string(id) + "-" + std::to_string(n);
        EncryptionKeyRing& ring = rng() % 2 == 0 ? **new_ring : **old_ring;
        auto value =
            ring.EncryptText(internal::AsBytes(plaintext), reencrypt_test::RowContext(table, id));
        if (!value.ok()) {
          writer_error = value.error().ToString();
          return;
        }
        pqxx::nontransaction txn(app);
        txn.exec_params("UPDATE " + table + " SET enc = $1 WHERE id = $2", *value, id);
        app_plaintext[id] = plaintext;  // committed: exec returned
      }
    } catch (const std::exception& e) {
      writer_error = e.what();
    }
  });

  std::mt19937_64 rng(kCrashSeed);
  int max_delay_ms = kCrashMaxDelayMs;
  int killed = 0;
  int finished_before_kill = 0;
  const auto loop_start = std::chrono::steady_clock::now();
  for (int round = 0; killed < kCrashKills && round < 4 * kCrashKills; ++round) {
    const pid_t pid = SpawnCrashRunner(dsn, table);
    ASSERT_GT(pid, 0);
    {
      std::lock_guard lock(writer_mu);
      ++rounds_started;
    }
    writer_cv.notify_one();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, max_delay_ms)(rng)));
    kill(pid, SIGKILL);  // a runner that already exited is an unreaped zombie: no other process
    const int status = WaitCrashRunner(pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++killed;
    } else {
      ++finished_before_kill;
      max_delay_ms = std::max(10, max_delay_ms / 2);
    }
  }
  const auto loop_time = std::chrono::steady_clock::now() - loop_start;
  {
    std::lock_guard lock(writer_mu);
    stop_writer = true;
  }
  writer_cv.notify_one();
  writer.join();
  ASSERT_EQ(writer_error, "");
  EXPECT_GE(killed, kCrashKills);

  std::map<long, std::string> rows = reencrypt_test::ReadTable(db, table);
  long on_new_key_after_loop = 0;
  const std::string new_prefix = "ls1:" + (*new_ring)->PrimaryKeyId() + ":";
  for (const auto& [id, value] : rows) {
    on_new_key_after_loop += value.rfind(new_prefix, 0) == 0 ? 1 : 0;
  }
  std::printf(
      "crash loop: %d SIGKILLs, %d runs finished first, %zu application writes, %ld of %ld rows "
      "on the new key after the loop, %lld ms\n",
      killed, finished_before_kill, app_plaintext.size(), on_new_key_after_loop, kCrashRows,
      CrashMs(loop_time));

  const auto last_start = std::chrono::steady_clock::now();
  const pid_t last = SpawnCrashRunner(dsn, table);
  ASSERT_GT(last, 0);
  const int status = WaitCrashRunner(last);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  std::printf("crash loop: the last run finished in %lld ms\n",
              CrashMs(std::chrono::steady_clock::now() - last_start));

  rows = reencrypt_test::ReadTable(db, table);
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kCrashRows));
  EXPECT_EQ(reencrypt_test::CheckAllOnPrimary(rows, table, **new_ring,
                                              [&](long id) {
                                                const auto it = app_plaintext.find(id);
                                                return it != app_plaintext.end()
                                                           ? it->second
                                                           : reencrypt_test::RowPlaintext(id);
                                              }),
            "");
}

}  // namespace
}  // namespace locksmith
