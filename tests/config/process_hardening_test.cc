// HardenProcess: not dumpable and a core limit of {0, 0} afterwards, unless
// LOCKSMITH_ALLOW_CORE_DUMPS says otherwise. (ctest runs each test in a process of its own; run
// together, the opt-out test still holds: it checks that nothing changed.)
#include "locksmith/process_hardening.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using ::locksmith::testing::FakeEnv;
using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;

rlimit CoreLimit() {
  rlimit limit{};
  EXPECT_EQ(getrlimit(RLIMIT_CORE, &limit), 0);
  return limit;
}

TEST(ProcessHardeningTest, ClearsDumpableAndSetsTheCoreLimitToZero) {
  ASSERT_THAT(HardenProcess(FakeEnv().Lookup()), IsOk());
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  EXPECT_EQ(CoreLimit().rlim_cur, 0u);
  EXPECT_EQ(CoreLimit().rlim_max, 0u);
  ASSERT_THAT(HardenProcess(FakeEnv().Lookup()), IsOk());  // twice is fine
}

TEST(ProcessHardeningTest, AllowCoreDumpsLeavesTheProcessAsItWas) {
  const int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  const rlimit before = CoreLimit();
  ASSERT_THAT(HardenProcess(FakeEnv().Set("LOCKSMITH_ALLOW_CORE_DUMPS", "true").Lookup()), IsOk());
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), dumpable);
  EXPECT_EQ(CoreLimit().rlim_cur, before.rlim_cur);
  EXPECT_EQ(CoreLimit().rlim_max, before.rlim_max);
}

TEST(ProcessHardeningTest, MalformedOptOutIsRejectedAndChangesNothing) {
  const int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  auto result = HardenProcess(FakeEnv().Set("LOCKSMITH_ALLOW_CORE_DUMPS", "perhaps").Lookup());
  ASSERT_THAT(result, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(result.error().message, HasSubstr("LOCKSMITH_ALLOW_CORE_DUMPS"));
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), dumpable);
}

}  // namespace
}  // namespace locksmith
