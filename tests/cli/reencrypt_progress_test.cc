// The reencrypt command's progress (bar on a terminal, periodic lines otherwise, by a fake clock)
// and where its DSN may come from.
#include "cli/reencrypt_progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/reencrypt_command.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

ReencryptionReport ProgressAt(std::uint64_t scanned) {
  ReencryptionReport report;
  report.rows_total = 1200;
  report.rows_already_current = 200;  // total to do: 1000
  report.rows_scanned = scanned;
  return report;
}

TEST(ReencryptProgressTest, LineShowsDoneTotalRateAndEta) {
  EXPECT_EQ(ReencryptProgress::Line(250, 1000, 50, false),
            "reencrypt: 250/1000 rows (25%), 50 rows/s, ETA 15s");
  EXPECT_EQ(ReencryptProgress::Line(0, 1000, 0, false),
            "reencrypt: 0/1000 rows (0%), 0 rows/s, ETA --");
  EXPECT_EQ(ReencryptProgress::Line(500, 1000, 1, true),
            "[###############---------------] 500/1000 rows (50%), 1 rows/s, ETA 8m20s");
  // Rows written on an old key meanwhile: never over 100%.
  EXPECT_THAT(ReencryptProgress::Line(1100, 1000, 10, false), HasSubstr("1100/1100 rows (100%)"));
  EXPECT_EQ(FormatEta(std::chrono::seconds(7400)), "2h03m");
}

TEST(ReencryptProgressTest, NotATerminalPrintsALineEveryIntervalOfTheClock) {
  testing::FakeClock clock;
  std::ostringstream err;
  ReencryptProgress progress(err, /*terminal=*/false, clock, std::chrono::seconds(10));
  clock.Advance(std::chrono::seconds(1));
  progress.OnBatch(ProgressAt(100));  // the first batch always shows
  clock.Advance(std::chrono::seconds(5));
  progress.OnBatch(ProgressAt(200));  // 5 s later: quiet
  clock.Advance(std::chrono::seconds(5));
  progress.OnBatch(ProgressAt(300));  // 10 s after the last line
  progress.Finish();
  EXPECT_EQ(err.str(),
            "reencrypt: 100/1000 rows (10%), 100 rows/s, ETA 9s\n"
            "reencrypt: 300/1000 rows (30%), 27 rows/s, ETA 25s\n");
}

TEST(ReencryptProgressTest, ATerminalGetsOneLineRedrawnInPlace) {
  testing::FakeClock clock;
  std::ostringstream err;
  ReencryptProgress progress(err, /*terminal=*/true, clock);
  clock.Advance(std::chrono::seconds(1));
  progress.OnBatch(ProgressAt(100));
  progress.OnBatch(ProgressAt(200));
  progress.Finish();
  const std::string text = err.str();
  EXPECT_EQ(text.rfind("\r[###", 0), 0u);
  EXPECT_THAT(text, HasSubstr("\x1b[K\r[######"));
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(ReencryptDsnTest, APasswordOnTheCommandLineIsRefusedAndNotEchoed) {
  ReencryptCommandOptions options;
  const EnvLookup no_env = [](std::string_view) { return std::optional<std::string>(); };
  options.dsn = "host=/tmp dbname=app user=app password=pw-PLANTED";
  auto refused = ResolveReencryptDsn(options, no_env);
  ASSERT_THAT(refused, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(refused.error().message, Not(HasSubstr("PLANTED")));
  EXPECT_THAT(refused.error().message, HasSubstr("~/.pgpass"));
  options.dsn = "host=/tmp dbname=app user=app";
  EXPECT_THAT(ResolveReencryptDsn(options, no_env), IsOk());
  // Both, or neither: usage errors.
  options.dsn_env = "DATABASE_URL";
  EXPECT_THAT(ResolveReencryptDsn(options, no_env), HasError(ErrorCode::kInvalidArgument));
  options.dsn.reset();
  EXPECT_THAT(ResolveReencryptDsn(options, no_env), HasError(ErrorCode::kInvalidArgument));
  options.dsn_env.reset();
  EXPECT_THAT(ResolveReencryptDsn(options, no_env), HasError(ErrorCode::kInvalidArgument));
}

TEST(ReencryptDsnTest, TheEnvironmentMayHoldTheWholeDsnWithItsPassword) {
  ReencryptCommandOptions options;
  options.dsn_env = "DATABASE_URL";
  const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "DATABASE_URL") {
      return "postgresql://app:pw-PLANTED@db.internal/app";
    }
    return std::nullopt;
  };
  auto dsn = ResolveReencryptDsn(options, env);
  ASSERT_THAT(dsn, IsOk());
  EXPECT_EQ(dsn->RevealUnsafe(), "postgresql://app:pw-PLANTED@db.internal/app");
  options.dsn_env = "UNSET";
  auto unset = ResolveReencryptDsn(options, env);
  EXPECT_THAT(unset, HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith
