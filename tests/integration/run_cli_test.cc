// `locksmith run` through the real program on the embedded store: secrets reach a /bin/sh child
// in its environment or in files, never in argv or in what run prints; signals are forwarded;
// exit codes pass through; a rotation (seen by the background refresh, LOCKSMITH_CACHE_TTL=1s)
// restarts or signals the running child. The children write what they received to files the
// test reads, and print only markers; every wait is on a marker, with a generous bound.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
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
using ::testing::Not;
using testing::ProcessResult;

constexpr char kRunCli[] = LOCKSMITH_CLI_PATH;
constexpr std::chrono::seconds kRunWait(30);
constexpr char kRunPlantedJwt[] = "planted-run-jwt-Wm52";
constexpr char kRunPlantedPassword[] = "planted-run-dbpass-Kc19";
constexpr char kRunPlantedVaultToken[] = "planted-run-vault-token-Qy66";

std::string FileText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned PathMode(const std::filesystem::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(out_);
    ASSERT_EQ(Cli({"put", "jwt-secret"}, kRunPlantedJwt).exit_code, 0);
    ASSERT_EQ(Cli({"put", "database-password"}, kRunPlantedPassword).exit_code, 0);
  }

  void TearDown() override {
    std::vector<std::string> needles = {kRunPlantedJwt, kRunPlantedPassword, kRunPlantedVaultToken};
    needles.insert(needles.end(), rotated_.begin(), rotated_.end());
    EXPECT_GT(testing::ExpectNoNeedleLeaked(captured_, needles), 0u);
  }

  std::vector<std::string> Env() const {
    return testing::LocalStoreEnv(
        dir_.path(), {"PATH=/usr/bin:/bin", "LOCKSMITH_CACHE_TTL=1s", "OUT=" + out_.string(),
                      std::string("VAULT_TOKEN=") + kRunPlantedVaultToken});
  }

  // A one-shot command (put, rotate, get); its stdout is not scanned (get prints a value).
  ProcessResult Cli(std::vector<std::string> args, std::optional<std::string> input = {}) {
    args.insert(args.begin(), kRunCli);
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    ProcessResult result = child.Finish();
    captured_.push_back(result.err);
    return result;
  }

  std::string Get(const std::string& name) {
    std::string value = Cli({"get", name}).out;
    if (!value.empty() && value.back() == '\n') {
      value.pop_back();
    }
    return value;
  }

  std::unique_ptr<ChildProcess> StartRun(std::vector<std::string> args) {
    args.insert(args.begin(), {kRunCli, "run"});
    auto child = std::make_unique<ChildProcess>(args, Env());
    EXPECT_TRUE(child->started());
    return child;
  }

  // Everything `run` printed is scanned.
  ProcessResult Finish(ChildProcess& run) {
    ProcessResult result = run.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    return result;
  }

  ProcessResult RunToEnd(std::vector<std::string> args) {
    auto run = StartRun(std::move(args));
    return Finish(*run);
  }

  testing::TempDir dir_;
  std::filesystem::path out_ = dir_.path() / "out";
  std::vector<std::string> captured_;
  std::vector<std::string> rotated_;  // values made by rotations, scanned for too
};

TEST_F(RunCliTest, SecretsInTheEnvironmentNeverInArgvAndTheExitCodePassesThrough) {
  ProcessResult result = RunToEnd(
      {"--secret", "JWT=jwt-secret", "--secret", "DBP=database-password", "--", "/bin/sh", "-c",
       "printf %s \"$JWT\" > \"$OUT/jwt\"; printf %s \"$DBP\" > \"$OUT/dbp\"; "
       "tr '\\0' ' ' < /proc/$$/cmdline > \"$OUT/cmdline\"; env > \"$OUT/env\"; "
       "echo child-ran; exit 7"});
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_THAT(result.out, HasSubstr("child-ran"));
  EXPECT_EQ(FileText(out_ / "jwt"), kRunPlantedJwt);
  EXPECT_EQ(FileText(out_ / "dbp"), kRunPlantedPassword);
  // The child's own argv is the command as given: no value in it.
  EXPECT_THAT(FileText(out_ / "cmdline"), HasSubstr("/bin/sh -c"));
  EXPECT_THAT(FileText(out_ / "cmdline"), Not(HasSubstr(kRunPlantedJwt)));
  // The back end's credentials and their companions stay with run.
  const std::string env = FileText(out_ / "env");
  EXPECT_THAT(env, HasSubstr("PATH=/usr/bin:/bin"));
  EXPECT_THAT(env, Not(HasSubstr("VAULT_TOKEN")));
  EXPECT_THAT(env, Not(HasSubstr(kRunPlantedVaultToken)));
  EXPECT_THAT(env, Not(HasSubstr("LOCKSMITH_MASTER_KEY_FILE")));
  EXPECT_THAT(env, HasSubstr("SECRETS_BACKEND=local"));
}

TEST_F(RunCliTest, DefaultSetUsesCanonicalNamesAndEnvFileNamesAddsAliases) {
  const std::string script =
      "echo \"jwt:${JWT_SECRET:+set} dbp:${DATABASE_PASSWORD:+set} "
      "alias:${DB_PASSWORD:+set} key:${DB_ENCRYPTION_KEY:-unset}\"";
  ProcessResult plain = RunToEnd({"--", "/bin/sh", "-c", script});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, HasSubstr("jwt:set dbp:set alias: key:unset"));
  ProcessResult aliases = RunToEnd({"--env-file-names", "--", "/bin/sh", "-c", script});
  EXPECT_EQ(aliases.exit_code, 0) << aliases.err;
  EXPECT_THAT(aliases.out, HasSubstr("jwt:set dbp:set alias:set key:unset"));
}

TEST_F(RunCliTest, ChildKilledBySignalGives128PlusSignal) {
  ProcessResult result =
      RunToEnd({"--secret", "J=jwt-secret", "--", "/bin/sh", "-c", "kill -USR1 $$"});
  EXPECT_EQ(result.exit_code, 128 + SIGUSR1) << result.err;
}

TEST_F(RunCliTest, ForwardsSignalsToTheChild) {
  auto run =
      StartRun({"--secret", "J=jwt-secret", "--", "/bin/sh", "-c",
                "trap 'echo got-HUP' HUP; trap 'echo got-USR1' USR1; trap 'echo got-USR2' USR2; "
                "trap 'echo got-WINCH' WINCH; trap 'echo got-INT; exit 5' INT; echo ready; "
                "while :; do sleep 1 & wait $!; done"});
  ASSERT_TRUE(run->WaitForStdout("ready", kRunWait)) << run->err_so_far();
  for (auto [signal, marker] : std::vector<std::pair<int, std::string>>{{SIGHUP, "got-HUP"},
                                                                        {SIGUSR1, "got-USR1"},
                                                                        {SIGUSR2, "got-USR2"},
                                                                        {SIGWINCH, "got-WINCH"}}) {
    run->Signal(signal);
    EXPECT_TRUE(run->WaitForStdout(marker, kRunWait)) << marker << "\n" << run->err_so_far();
  }
  run->Signal(SIGINT);
  ProcessResult result = Finish(*run);
  EXPECT_THAT(result.out, HasSubstr("got-INT"));
  EXPECT_EQ(result.exit_code, 5) << result.err;
}

TEST_F(RunCliTest, ChildIgnoringSigtermIsKilledAfterTheKillTimeout) {
  auto run = StartRun({"--secret", "J=jwt-secret", "--kill-timeout", "300ms", "--", "/bin/sh", "-c",
                       "trap '' TERM; echo ready; while :; do sleep 1; done"});
  ASSERT_TRUE(run->WaitForStdout("ready", kRunWait)) << run->err_so_far();
  const auto asked = std::chrono::steady_clock::now();
  run->Signal(SIGTERM);
  ProcessResult result = Finish(*run);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL) << result.err;
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(300));
  EXPECT_THAT(result.err, HasSubstr("SIGKILL"));
}

// The child prints started-<n> (n counts its starts) and writes the value it got to seen-<n>.
constexpr char kRestartingChild[] =
    "n=$(cat \"$OUT/n\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$OUT/n\"; "
    "printf %s \"$JWT\" > \"$OUT/seen-$n\"; trap 'echo stopping-$n; exit 0' TERM; "
    "echo started-$n; while :; do sleep 1 & wait $!; done";

TEST_F(RunCliTest, RestartsTheChildWithTheNewValueOnRotation) {
  auto run = StartRun({"--secret", "JWT=jwt-secret", "--restart-on-change", "--", "/bin/sh", "-c",
                       kRestartingChild});
  ASSERT_TRUE(run->WaitForStdout("started-1", kRunWait)) << run->err_so_far();
  ASSERT_EQ(Cli({"rotate", "jwt-secret"}).exit_code, 0);
  rotated_.push_back(Get("jwt-secret"));
  ASSERT_TRUE(run->WaitForStdout("started-2", kRunWait)) << run->err_so_far();
  EXPECT_THAT(run->out_so_far(), HasSubstr("stopping-1"));
  EXPECT_EQ(FileText(out_ / "seen-1"), kRunPlantedJwt);
  EXPECT_EQ(FileText(out_ / "seen-2"), rotated_.back());
  run->Signal(SIGTERM);
  ProcessResult result = Finish(*run);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("started-3")));
}

TEST_F(RunCliTest, SignalsTheChildAfterRewritingItsSecretFile) {
  const auto secrets_dir = dir_.path() / "run-secrets";
  auto run = StartRun({"--secret", "JWT=jwt-secret", "--secret-files", secrets_dir.string(),
                       "--signal-on-change", "HUP", "--", "/bin/sh", "-c",
                       "echo \"env:${JWT:-unset} file:$JWT_FILE\"; "
                       "trap 'cp \"$JWT_FILE\" \"$OUT/after-hup\"; echo got-HUP' HUP; "
                       "trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait $!; done"});
  ASSERT_TRUE(run->WaitForStdout("ready", kRunWait)) << run->err_so_far();
  const auto file = secrets_dir / "JWT";
  EXPECT_THAT(run->out_so_far(), HasSubstr("env:unset file:" + file.string()));
  EXPECT_EQ(PathMode(secrets_dir), 0700u);
  EXPECT_EQ(PathMode(file), 0600u);
  EXPECT_EQ(FileText(file), kRunPlantedJwt);
  ASSERT_EQ(Cli({"rotate", "jwt-secret"}).exit_code, 0);
  rotated_.push_back(Get("jwt-secret"));
  ASSERT_TRUE(run->WaitForStdout("got-HUP", kRunWait)) << run->err_so_far();
  EXPECT_EQ(FileText(out_ / "after-hup"), rotated_.back());
  run->Signal(SIGTERM);
  ProcessResult result = Finish(*run);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(std::filesystem::exists(secrets_dir));  // removed when run exits
}

TEST_F(RunCliTest, BadInput) {
  const std::vector<std::string> marker = {"/bin/sh", "-c", "echo child-started"};
  auto with = [&](std::vector<std::string> flags) {
    flags.push_back("--");
    flags.insert(flags.end(), marker.begin(), marker.end());
    return flags;
  };
  ProcessResult no_command = RunToEnd({"--secret", "J=jwt-secret"});
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_THAT(no_command.err, HasSubstr("no command"));

  ProcessResult bad_signal = RunToEnd(with({"--signal-on-change", "BOGUS"}));
  EXPECT_EQ(bad_signal.exit_code, 2);
  EXPECT_THAT(bad_signal.err, HasSubstr("unknown signal 'BOGUS'"));

  ProcessResult both = RunToEnd(with({"--restart-on-change", "--signal-on-change", "HUP"}));
  EXPECT_EQ(both.exit_code, 2);

  ProcessResult missing = RunToEnd(with({"--secret", "J=jwt-secret", "--secret", "S=stripe-key"}));
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("cannot set S"));
  EXPECT_THAT(missing.err, HasSubstr("'stripe-key'"));
  EXPECT_THAT(missing.out, Not(HasSubstr("child-started")));

  ProcessResult no_equals = RunToEnd(with({"--secret", "jwt-secret"}));
  EXPECT_EQ(no_equals.exit_code, 2);
  EXPECT_THAT(no_equals.err, HasSubstr("ENV=name"));

  ProcessResult bad_jitter = RunToEnd(with({"--change-jitter", "soon"}));
  EXPECT_EQ(bad_jitter.exit_code, 2);

  ProcessResult not_found = RunToEnd({"--secret", "J=jwt-secret", "--", "/nonexistent/program"});
  EXPECT_EQ(not_found.exit_code, 127);
  EXPECT_THAT(not_found.err, HasSubstr("cannot run '/nonexistent/program'"));

  const auto not_executable = dir_.path() / "not-executable";
  std::ofstream(not_executable) << "#!/bin/sh\necho child-started\n";
  ::chmod(not_executable.c_str(), 0600);
  ProcessResult denied = RunToEnd({"--secret", "J=jwt-secret", "--", not_executable.string()});
  EXPECT_EQ(denied.exit_code, 126);

  const auto loose = dir_.path() / "loose";
  std::filesystem::create_directory(loose);
  ::chmod(loose.c_str(), 0755);
  ProcessResult loose_dir =
      RunToEnd(with({"--secret", "J=jwt-secret", "--secret-files", loose.string()}));
  EXPECT_EQ(loose_dir.exit_code, 4);
  EXPECT_THAT(loose_dir.err, HasSubstr("chmod 700"));
  EXPECT_THAT(loose_dir.out, Not(HasSubstr("child-started")));
}

}  // namespace
}  // namespace locksmith
