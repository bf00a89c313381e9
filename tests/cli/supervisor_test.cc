// The supervisor's decisions with a fake child, a fake clock and a fake random: what `run` does
// on signals, rotations, exits and deadlines, with no process and no waiting.
#include "cli/supervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"

namespace locksmith {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Records what the supervisor asked of the child, as "start", "signal 15", "refresh".
class RecordingChild : public ChildControl {
 public:
  std::optional<StartFailure> Start() override {
    calls.push_back("start");
    if (fail_start) {
      return StartFailure{
          MakeError(ErrorCode::kNotFound, "cannot run 'gone': No such file or directory"),
          kExitCommandNotFound};
    }
    return std::nullopt;
  }
  void Signal(int signal) override { calls.push_back("signal " + std::to_string(signal)); }
  Result<void> RefreshSecrets() override {
    calls.push_back("refresh");
    if (fail_refresh) {
      return MakeError(ErrorCode::kUnavailable, "disk full");
    }
    return {};
  }

  std::vector<std::string> calls;
  bool fail_start = false;
  bool fail_refresh = false;
};

class SupervisorTest : public ::testing::Test {
 protected:
  Supervisor Make(ChangeAction action, int signal = 0, milliseconds jitter = milliseconds(0)) {
    SupervisorOptions options;
    options.on_change = action;
    options.change_signal = signal;
    options.change_jitter = jitter;
    options.kill_timeout = milliseconds(10000);
    return Supervisor(child_, clock_, random_, options);
  }

  RecordingChild child_;
  testing::FakeClock clock_;
  testing::FakeRandom random_;
};

TEST_F(SupervisorTest, ExitsWithTheChildsCode) {
  Supervisor s = Make(ChangeAction::kNone);
  ASSERT_FALSE(s.Start().has_value());
  EXPECT_EQ(s.OnChildExited(42), 42);
  EXPECT_EQ(s.OnChildExited(128 + SIGSEGV), 128 + SIGSEGV);
}

TEST_F(SupervisorTest, StartFailureIsReturned) {
  child_.fail_start = true;
  Supervisor s = Make(ChangeAction::kNone);
  std::optional<StartFailure> failed = s.Start();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->exit_code, kExitCommandNotFound);
}

TEST(StartFailureForTest, UsesTheCliExitCodes) {
  // A missing secret is "not found" (3), not a missing program (127).
  EXPECT_EQ(StartFailureFor(Error{ErrorCode::kNotFound, ""}).exit_code, 3);
  EXPECT_EQ(StartFailureFor(Error{ErrorCode::kPermissionDenied, ""}).exit_code, 4);
  EXPECT_EQ(StartFailureFor(Error{ErrorCode::kUnavailable, ""}).exit_code, 5);
}

TEST_F(SupervisorTest, ForwardsEverySignalAndOnlyStopSignalsArmTheKillTimeout) {
  Supervisor s = Make(ChangeAction::kNone);
  ASSERT_FALSE(s.Start().has_value());
  for (int signal : {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT}) {
    s.OnSignal(signal);
  }
  EXPECT_FALSE(s.NextDeadline().has_value());
  EXPECT_FALSE(s.stopping());
  s.OnSignal(SIGTERM);
  EXPECT_TRUE(s.stopping());
  EXPECT_EQ(s.NextDeadline(), clock_.Now() + milliseconds(10000));
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 1", "signal 10", "signal 12", "signal 28",
                                        "signal 18", "signal 15"));
}

TEST_F(SupervisorTest, ChildIgnoringSigtermIsKilledAfterTheTimeoutOnce) {
  Supervisor s = Make(ChangeAction::kNone);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSignal(SIGINT);
  clock_.Advance(milliseconds(9999));
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 2"));
  clock_.Advance(milliseconds(1));
  s.OnTick();
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 2", "signal 9"));
  EXPECT_FALSE(s.NextDeadline().has_value());
  EXPECT_EQ(s.OnChildExited(128 + SIGKILL), 128 + SIGKILL);
}

TEST_F(SupervisorTest, NoChangeNoAction) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  clock_.Advance(std::chrono::hours(1));
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start"));
  EXPECT_FALSE(s.NextDeadline().has_value());
}

TEST_F(SupervisorTest, RestartOnChange) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();  // no jitter: due now
  EXPECT_TRUE(s.restarting());
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15"));
  // The old child's exit is not run's exit: a new child starts.
  EXPECT_EQ(s.OnChildExited(0), std::nullopt);
  EXPECT_FALSE(s.restarting());
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15", "start"));
  // The new child's own exit ends run.
  EXPECT_EQ(s.OnChildExited(3), 3);
}

TEST_F(SupervisorTest, RestartKillsAChildThatIgnoresSigterm) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();
  clock_.Advance(milliseconds(10000));
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15", "signal 9"));
  EXPECT_EQ(s.OnChildExited(128 + SIGKILL), std::nullopt);
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15", "signal 9", "start"));
}

TEST_F(SupervisorTest, RestartThatCannotStartTheNewChildEndsRunWith127) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();
  child_.fail_start = true;
  EXPECT_EQ(s.OnChildExited(0), 127);
}

TEST_F(SupervisorTest, JitterDelaysTheActionAndCollapsesChanges) {
  random_.SetUniformFraction(0.25);
  Supervisor s = Make(ChangeAction::kSignal, SIGHUP, milliseconds(4000));
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  // Uniform over [0, 4000] ms: a quarter is ~1000 ms.
  ASSERT_TRUE(s.NextDeadline().has_value());
  const auto delay = *s.NextDeadline() - clock_.Now();
  EXPECT_GE(delay, milliseconds(1000));
  EXPECT_LE(delay, milliseconds(1001));
  clock_.Advance(milliseconds(500));
  s.OnSecretsChanged();  // a second rotation before the first was acted on
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start"));
  clock_.Advance(milliseconds(501));
  s.OnTick();
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "refresh", "signal 1"));
  EXPECT_FALSE(s.NextDeadline().has_value());
}

TEST_F(SupervisorTest, JitterIsAtMostTheLimit) {
  random_.SetUniformFraction(0.9999999);
  Supervisor s = Make(ChangeAction::kRestart, 0, milliseconds(3000));
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  EXPECT_LE(*s.NextDeadline() - clock_.Now(), milliseconds(3000));
}

TEST_F(SupervisorTest, SignalIsNotSentWhenTheFilesCannotBeRewritten) {
  child_.fail_refresh = true;
  Supervisor s = Make(ChangeAction::kSignal, SIGUSR1);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "refresh"));
}

TEST_F(SupervisorTest, WithoutAnActionFilesAreStillRewritten) {
  Supervisor s = Make(ChangeAction::kNone);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "refresh"));
}

TEST_F(SupervisorTest, StopDuringJitterCancelsTheChange) {
  Supervisor s = Make(ChangeAction::kRestart, 0, milliseconds(5000));
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnSignal(SIGTERM);
  clock_.Advance(milliseconds(6000));
  s.OnTick();  // the kill deadline (10 s) is not due; the restart is cancelled
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15"));
  EXPECT_EQ(s.OnChildExited(0), 0);
}

TEST_F(SupervisorTest, StopDuringRestartEndsRunWithTheOldChildsCode) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  s.OnTick();
  clock_.Advance(milliseconds(4000));
  s.OnSignal(SIGTERM);
  EXPECT_TRUE(s.stopping());
  // The restart's deadline stands: SIGKILL 10 s after the first SIGTERM.
  clock_.Advance(milliseconds(6000));
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 15", "signal 15", "signal 9"));
  EXPECT_EQ(s.OnChildExited(143), 143);
}

TEST_F(SupervisorTest, ChangesWhileStoppingAreIgnored) {
  Supervisor s = Make(ChangeAction::kRestart);
  ASSERT_FALSE(s.Start().has_value());
  s.OnSignal(SIGQUIT);
  s.OnSecretsChanged();
  s.OnTick();
  EXPECT_THAT(child_.calls, ElementsAre("start", "signal 3"));
}

TEST_F(SupervisorTest, ChildExitingWhileAChangeIsPendingEndsRun) {
  Supervisor s = Make(ChangeAction::kRestart, 0, milliseconds(5000));
  ASSERT_FALSE(s.Start().has_value());
  s.OnSecretsChanged();
  EXPECT_EQ(s.OnChildExited(7), 7);
  EXPECT_THAT(child_.calls, ElementsAre("start"));
}

}  // namespace
}  // namespace locksmith
