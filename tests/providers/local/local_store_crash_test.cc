// Crash safety: a writer process is SIGKILLed at arbitrary points while putting; every reopen
// afterwards must find each secret at one of the values that were (or were being) written, with
// every version readable and the stages consistent.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>
#include <string>

#include "providers/local/local_store_test_util.h"

namespace locksmith::testing {
namespace {

constexpr int kSecrets = 3;
constexpr int kMaxChildPuts = 100000;  // the child stops by itself if the parent never kills it

std::string SecretName(int put_index) { return "crash/secret-" + std::to_string(put_index % 3); }

std::string ValueFor(int iteration, int put_index) {
  return "iter" + std::to_string(iteration) + "-put" + std::to_string(put_index);
}

// The child: opens its own connection, puts in a loop, reports each committed put with one
// byte on `fd`. Never returns.
[[noreturn]] void RunWriter(const LocalStoreOptions& base, int iteration, int fd) {
  LocalStoreOptions options;
  options.store_path = base.store_path;
  options.master_key_base64 = base.master_key_base64->Clone();
  FakeClock clock;
  auto store = CreateLocalStoreProvider(std::move(options), clock, SystemRandom());
  if (!store.ok()) {
    (void)!::write(fd, "E", 1);
    ::_exit(1);
  }
  for (int i = 0; i < kMaxChildPuts; ++i) {
    // Mix plain puts with pending + promote (two transactions, as SecretsManager::Rotate does).
    bool ok = false;
    if (i % 4 == 3) {
      auto pending =
          (*store)->Put(SecretName(i), SecretValue(ValueFor(iteration, i)), Stage::kPending);
      ok = pending.ok() && (*store)->PromoteToCurrent(SecretName(i), pending->version_id).ok();
    } else {
      ok = (*store)->Put(SecretName(i), SecretValue(ValueFor(iteration, i)), Stage::kCurrent).ok();
    }
    if (!ok || ::write(fd, ok ? "." : "E", 1) != 1) {
      ::_exit(1);
    }
  }
  ::_exit(0);
}

class LocalStoreCrashTest : public LocalStoreTestBase {};

TEST_F(LocalStoreCrashTest, KilledWriterLeavesOldOrNewState) {
  const LocalStoreOptions options = KeyOptions();
  // The last value the parent saw for each secret before this iteration.
  std::map<std::string, std::string> known;
  constexpr int kIterations = 20;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunWriter(options, iteration, fds[1]);
    }
    ::close(fds[1]);
    // Varying kill points, no sleeps: wait for k committed puts, then kill whatever the child is
    // doing by then (usually in the middle of the next put).
    const int k = 1 + (iteration * 7) % 13;
    int acked = 0;
    bool child_failed = false;
    while (acked < k) {
      char byte = 0;
      ssize_t n = ::read(fds[0], &byte, 1);
      if (n != 1 || byte != '.') {
        child_failed = true;
        break;
      }
      ++acked;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    // Count acks that arrived between our read and the kill: they are committed too.
    char byte = 0;
    while (::read(fds[0], &byte, 1) == 1) {
      if (byte == '.') {
        ++acked;
      }
    }
    ::close(fds[0]);
    ASSERT_FALSE(child_failed) << "the writer failed before being killed";
    ASSERT_TRUE(WIFSIGNALED(status));

    // Puts 0..acked-1 committed; put `acked` may or may not have.
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int s = 0; s < kSecrets; ++s) {
      std::string name = SecretName(s);
      SCOPED_TRACE(name);
      std::set<std::string> allowed;
      int last_acked = -1;
      for (int i = s; i < acked; i += kSecrets) {
        last_acked = i;
      }
      if (last_acked >= 0) {
        allowed.insert(ValueFor(iteration, last_acked));
      } else if (known.count(name) != 0) {
        allowed.insert(known[name]);
      }
      if (acked % kSecrets == s) {
        allowed.insert(ValueFor(iteration, acked));
      }
      // Never committed before: absent unless the in-flight put committed.
      const bool may_be_absent = last_acked < 0 && known.count(name) == 0;
      auto got = store->Get(name, VersionSelector::Current());
      if (may_be_absent && !got.ok()) {
        EXPECT_THAT(got, HasError(ErrorCode::kNotFound));
        EXPECT_THAT(store->Describe(name), HasError(ErrorCode::kNotFound));
        continue;
      }
      ASSERT_THAT(got, IsOk());
      std::string value(got->value.RevealUnsafe());
      EXPECT_EQ(allowed.count(value), 1u) << "unexpected value " << value;
      known[name] = value;

      // Every version decrypts, exactly one is current, and at most one each previous/pending.
      auto description = store->Describe(name);
      ASSERT_THAT(description, IsOk());
      std::map<Stage, int> labels;
      for (const auto& version : description->versions) {
        for (Stage stage : version.stages) {
          ++labels[stage];
        }
        EXPECT_THAT(store->Get(name, VersionSelector::ById(version.version_id)), IsOk());
      }
      // Every put labels its new version in the same transaction, so the newest version is
      // current or pending; a version without a label can only be an older one.
      ASSERT_FALSE(description->versions.empty());
      EXPECT_TRUE(description->versions[0].HasStage(Stage::kCurrent) ||
                  description->versions[0].HasStage(Stage::kPending));
      EXPECT_EQ(labels[Stage::kCurrent], 1);
      EXPECT_LE(labels[Stage::kPrevious], 1);
      EXPECT_LE(labels[Stage::kPending], 1);
    }
  }
}

}  // namespace
}  // namespace locksmith::testing
