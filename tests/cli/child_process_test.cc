// `run`'s signal names and the set of signals it forwards.
#include "cli/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;

TEST(ParseSignalNameTest, AcceptsNamesWithOrWithoutSigAnyCaseAndNumbers) {
  EXPECT_EQ(*ParseSignalName("HUP"), SIGHUP);
  EXPECT_EQ(*ParseSignalName("SIGHUP"), SIGHUP);
  EXPECT_EQ(*ParseSignalName("usr1"), SIGUSR1);
  EXPECT_EQ(*ParseSignalName("SigTerm"), SIGTERM);
  EXPECT_EQ(*ParseSignalName("12"), SIGUSR2);
}

TEST(ParseSignalNameTest, RefusesUnknownKillAndStop) {
  auto unknown = ParseSignalName("RELOAD");
  EXPECT_THAT(unknown, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(unknown.error().message, HasSubstr("'RELOAD'"));
  EXPECT_THAT(ParseSignalName("KILL"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSignalName("SIGSTOP"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSignalName("9"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSignalName(""), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSignalName("0"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSignalName("64"), HasError(ErrorCode::kInvalidArgument));
}

TEST(RunSignalSetTest, HoldsTheForwardedSignalsAndSigchld) {
  const sigset_t set = RunSignalSet();
  for (int signal : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP,
                     SIGTTIN, SIGTTOU, SIGALRM, SIGCHLD}) {
    EXPECT_EQ(sigismember(&set, signal), 1) << signal;
  }
  EXPECT_EQ(sigismember(&set, SIGPIPE), 0);
  EXPECT_EQ(sigismember(&set, SIGSEGV), 0);
}

}  // namespace
}  // namespace locksmith
