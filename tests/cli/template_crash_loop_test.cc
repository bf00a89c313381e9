// The agent's templates under SIGKILL: a child process runs the agent's own template code
// (TemplateRunner over an in-memory back end: Start, then a put and a RenderPending, again and
// again) and is killed at a random point (seeded PRNG, the seed printed: after 0-2 re-renders, a
// random delay up to one re-render's measured duration), kTplKills times.
// After every kill the destination holds a complete render, the last one the child reported or
// the one it was writing, never a part of one, with the template's mode; and the temporary
// files killed renders leave do not pile up: the next Start removes them, so at most one (the
// last kill's) is ever there. Waiting the random delay is the point: it spreads the kills over
// render, write, fsync and rename. (The real agent under ASan takes far longer to start than a
// forked child, which runs the same code: see docs/agent.md, "Crash safety".)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "cli/atomic_file.h"
#include "cli/template_runner.h"
#include "locksmith/log.h"
#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::IsOk;

constexpr int kTplKills = 100;
constexpr std::uint64_t kTplSeed = 20261202;
constexpr int kTplMaxDelayMs = 20;
constexpr mode_t kTplMode = 0640;
constexpr int kTplMaxRendersPerChild = 100000;    // the child stops by itself if never killed
constexpr std::size_t kTplValueSize = 48 * 1024;  // several write(2)s' worth of page cache

// The value of render `n` in round `round`: its tag, filler derived from the tag, and the tag's
// length again at the end, so any prefix or mix of two renders is told apart from a whole one.
std::string TplValue(int round, int n) {
  const std::string tag = "round" + std::to_string(round) + "-render" + std::to_string(n) + ":";
  std::string value = tag;
  std::minstd_rand filler(static_cast<unsigned>(round * 1000003 + n + 1));
  while (value.size() < kTplValueSize) {
    value.push_back(static_cast<char>('a' + filler() % 26));
  }
  return value + ":end-" + tag;
}

std::string TplRendered(int round, int n) { return "password=" + TplValue(round, n) + "\n"; }

std::string TplSlurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t TplTemporaryFiles(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    n += entry.path().filename().string().starts_with(".app.conf.locksmith-") ? 1 : 0;
  }
  return n;
}

TemplateSpec TplSpec(const std::filesystem::path& dir) {
  TemplateSpec spec;
  spec.source = dir / "app.tpl";
  spec.destination = dir / "app.conf";
  spec.mode = kTplMode;
  return spec;
}

// The child: the agent's template code in a loop. Reports 'S' once the first render is on disk,
// then '.' after each re-render replaced the file; 'E' and exit on any failure. Never returns.
[[noreturn]] void RunTemplateChild(const std::filesystem::path& dir, int round, int fd) {
  Logger()->set_level(spdlog::level::warn);  // one info line per render otherwise
  testing::InMemorySecrets secrets;
  TemplateRunnerOptions options;
  options.start_worker = false;
  auto runner = TemplateRunner::Create({TplSpec(dir)}, secrets.manager(), nullptr, options);
  if (!secrets.Seed("database-password", TplValue(round, 0)).ok() || !runner.ok() ||
      !(*runner)->Start().ok() || ::write(fd, "S", 1) != 1) {
    (void)!::write(fd, "E", 1);
    ::_exit(1);
  }
  for (int n = 1; n < kTplMaxRendersPerChild; ++n) {
    if (!secrets.manager().Put("database-password", SecretValue(TplValue(round, n))).ok() ||
        (*runner)->RenderPending() != 1 || ::write(fd, ".", 1) != 1) {
      (void)!::write(fd, "E", 1);
      ::_exit(1);
    }
  }
  ::_exit(0);
}

// Reads one byte, waiting at most a generous bound (a child that hangs fails the test).
char TplReadByte(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 60000) != 1) {
    return 0;
  }
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : 0;
}

TEST(TemplateCrashLoopTest, HundredKillsLeaveAWholeRenderWithItsModeAndNoPileOfTemporaries) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "app.tpl") << "password={{DB_PASSWORD}}\n";
  std::printf("template crash loop: seed %llu\n", static_cast<unsigned long long>(kTplSeed));
  std::mt19937_64 rng(kTplSeed);
  int killed = 0;
  long renders_acked = 0;
  int killed_mid_render = 0;  // the file held the render the child had not reported yet
  int temporaries_seen = 0;   // kills that left a temporary file behind
  // How long one put + re-render takes here (mean time between two reports), so the kill delays
  // cover a whole render, rename included, however fast or loaded the build is.
  double render_ms = kTplMaxDelayMs;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kTplKills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunTemplateChild(dir.path(), round, fds[1]);
    }
    ::close(fds[1]);
    const char ready = TplReadByte(fds[0]);
    int acked = 0;
    if (ready == 'S') {
      // Let 0-2 re-renders finish, then kill at a random point of the next one.
      const int wait_for = std::uniform_int_distribution<int>(0, 2)(rng);
      const auto wait_start = std::chrono::steady_clock::now();
      while (acked < wait_for && TplReadByte(fds[0]) == '.') {
        ++acked;
      }
      if (acked > 0) {
        const double measured =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wait_start)
                .count() /
            acked;
        render_ms = 0.7 * render_ms + 0.3 * measured;
      }
      const int max_delay = std::clamp(static_cast<int>(render_ms), 1, 10 * kTplMaxDelayMs);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(0, max_delay)(rng)));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    bool failed = ready != 'S';
    char byte = 0;
    while (::read(fds[0], &byte, 1) == 1) {  // every report sent before the kill
      acked += byte == '.' ? 1 : 0;
      failed = failed || byte == 'E';
    }
    ::close(fds[0]);
    ASSERT_FALSE(failed) << "the template child failed before being killed";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ++killed;
    renders_acked += acked;

    // Renders 0..acked are on disk in turn; render acked+1 may have been renamed in too.
    const std::filesystem::path dest = dir.path() / "app.conf";
    const std::string content = TplSlurp(dest);
    const bool last_reported = content == TplRendered(round, acked);
    const bool in_flight = content == TplRendered(round, acked + 1);
    ASSERT_TRUE(last_reported || in_flight) << "not a whole render: " << content.size() << " bytes";
    killed_mid_render += in_flight ? 1 : 0;
    struct stat st {};
    ASSERT_EQ(::stat(dest.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, kTplMode);
    // This child's Start removed what earlier kills left: at most this kill's one is there.
    const std::size_t temporaries = TplTemporaryFiles(dir.path());
    EXPECT_LE(temporaries, 1u);
    temporaries_seen += temporaries > 0 ? 1 : 0;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;

  // A last start (as the agent restarting) cleans the last kill's temporary file too.
  testing::InMemorySecrets secrets;
  ASSERT_THAT(secrets.Seed("database-password", TplValue(kTplKills, 0)), IsOk());
  TemplateRunnerOptions options;
  options.start_worker = false;
  auto runner = TemplateRunner::Create({TplSpec(dir.path())}, secrets.manager(), nullptr, options);
  ASSERT_THAT(runner, IsOk());
  ASSERT_THAT((*runner)->Start(), IsOk());
  EXPECT_EQ(TplTemporaryFiles(dir.path()), 0u);
  EXPECT_EQ(TplSlurp(dir.path() / "app.conf"), TplRendered(kTplKills, 0));

  EXPECT_EQ(killed, kTplKills);
  EXPECT_GT(renders_acked, 0);
  std::printf(
      "template crash loop: %d SIGKILLs, %ld re-renders reported, %d files checked (%d holding "
      "the render in flight), %d kills left a temporary file (removed at the next start), "
      "one render ~%.1f ms, %lld ms\n",
      killed, renders_acked, killed, killed_mid_render, temporaries_seen, render_ms,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

}  // namespace
}  // namespace locksmith
