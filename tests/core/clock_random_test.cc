#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, MovesOnlyWhenTold) {
  testing::FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(5s);
  EXPECT_EQ(clock.Now() - t0, 5s);
  EXPECT_EQ(clock.WallNow() - w0, 5s);
  clock.SleepFor(250ms);
  EXPECT_EQ(clock.Now() - t0, 5250ms);
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], 250ms);
}

TEST(FakeRandomTest, DeterministicBytesAndUniform) {
  testing::FakeRandom random;
  std::uint8_t buf[3];
  ASSERT_THAT(random.Fill(buf), testing::IsOk());
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[2], 3);
  EXPECT_EQ(random.Uniform(100), 50u);
  random.SetUniformFraction(1.0);
  EXPECT_EQ(random.Uniform(100), 99u);
  random.SetUniformFraction(0.0);
  EXPECT_EQ(random.Uniform(100), 0u);
  random.FailFill(true);
  EXPECT_THAT(random.Fill(buf), testing::HasError(ErrorCode::kInternal));
}

TEST(SystemRandomTest, UniformStaysInBounds) {
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(SystemRandom().Uniform(7), 7u);
  }
  std::uint8_t a[16] = {};
  std::uint8_t b[16] = {};
  ASSERT_THAT(SystemRandom().Fill(a), testing::IsOk());
  ASSERT_THAT(SystemRandom().Fill(b), testing::IsOk());
  EXPECT_NE(std::memcmp(a, b, 16), 0);
}

// Nonce-sized requests come from a per-thread buffer: a forked child must not hand out the bytes
// its parent hands out next (the same AES-GCM nonce in two processes).
TEST(SystemRandomTest, AForkedChildNeverRepeatsTheParentsNextBytes) {
  std::uint8_t first[12];
  ASSERT_THAT(SystemRandom().Fill(first), testing::IsOk());  // the buffer now holds more
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::uint8_t child[12];
    const bool ok = SystemRandom().Fill(child).ok();
    const ssize_t n = ok ? write(fds[1], child, sizeof(child)) : -1;
    _exit(n == static_cast<ssize_t>(sizeof(child)) ? 0 : 1);
  }
  close(fds[1]);
  std::uint8_t parent[12];
  ASSERT_THAT(SystemRandom().Fill(parent), testing::IsOk());
  std::uint8_t child[12] = {};
  ASSERT_EQ(read(fds[0], child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(std::memcmp(parent, child, sizeof(parent)), 0);
  EXPECT_NE(std::memcmp(first, parent, sizeof(parent)), 0);
}

TEST(SystemRandomTest, SmallAndLargeRequestsAreFilled) {
  for (const std::size_t size : {1u, 12u, 16u, 17u, 32u, 600u}) {
    std::vector<std::uint8_t> a(size, 0);
    std::vector<std::uint8_t> b(size, 0);
    ASSERT_THAT(SystemRandom().Fill(a), testing::IsOk());
    ASSERT_THAT(SystemRandom().Fill(b), testing::IsOk());
    if (size >= 12) {
      EXPECT_NE(a, b) << size;
    }
  }
}

}  // namespace
}  // namespace locksmith
