// TemplateRunner over an in-memory back end: the first render, re-renders on rotation (only
// when the text changed), the command after each, and every failure keeping the old file.
#include "cli/template_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr char kPlantedPassword[] = "planted-runner-pw<&\"";
constexpr char kRotatedPassword[] = "rotated-runner-pw";
constexpr char kPlantedJwt[] = "planted-runner-jwt";

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class TemplateRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(secrets_.Seed("database-password", kPlantedPassword), IsOk());
    ASSERT_THAT(secrets_.Seed("jwt-secret", kPlantedJwt), IsOk());
  }
  void TearDown() override {
    for (const char* value : {kPlantedPassword, kRotatedPassword, kPlantedJwt}) {
      EXPECT_THAT(logs_.Text(), Not(HasSubstr(value)));
    }
  }

  std::filesystem::path WriteTemplate(const std::string& name, const std::string& text) {
    std::filesystem::path path = dir_.path() / name;
    std::ofstream(path) << text;
    return path;
  }
  TemplateSpec Spec(const std::filesystem::path& source, const std::string& dest_name,
                    std::vector<std::string> command = {}) {
    TemplateSpec spec;
    spec.source = source;
    spec.destination = dir_.path() / dest_name;
    spec.command = std::move(command);
    return spec;
  }
  // A command that appends a line to `runs` each time it runs.
  std::vector<std::string> CountingCommand() {
    return {"/bin/sh", "-c", "echo ran >> '" + (dir_.path() / "runs").string() + "'"};
  }
  std::size_t Runs() {
    std::string text = ReadWhole(dir_.path() / "runs");
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  TemplateRunnerPtr MustCreate(std::vector<TemplateSpec> specs, TemplateRunnerOptions options) {
    auto runner = TemplateRunner::Create(std::move(specs), secrets_.manager(),
                                         &secrets_.manager().metrics(), options);
    EXPECT_THAT(runner, IsOk());
    return runner.ok() ? std::move(runner).value() : nullptr;
  }
  static TemplateRunnerOptions NoWorker() {
    TemplateRunnerOptions options;
    options.start_worker = false;
    return options;
  }

  testing::LogCapture logs_;
  testing::TempDir dir_;
  testing::InMemorySecrets secrets_;
};

TEST_F(TemplateRunnerTest, StartRendersWithMode0600AndRunsTheCommand) {
  auto source = WriteTemplate("app.tpl", "password={{DB_PASSWORD}}\njwt={{JWT_SECRET}}\n");
  auto runner = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  ASSERT_NE(runner, nullptr);
  ASSERT_THAT(runner->Start(), IsOk());
  std::filesystem::path out = dir_.path() / "app.conf";
  EXPECT_EQ(ReadWhole(out),
            std::string("password=") + kPlantedPassword + "\njwt=" + kPlantedJwt + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Runs(), 1u);
}

TEST_F(TemplateRunnerTest, StartRemovesTheTemporaryFileAKilledRenderLeft) {
  // A render SIGKILLed between creating its temporary file and renaming it leaves this behind.
  const std::filesystem::path stale = dir_.path() / ".app.conf.locksmith-K1lled";
  std::ofstream(stale) << "password=" << kPlantedPassword;
  auto source = WriteTemplate("app.tpl", "password={{DB_PASSWORD}}");
  auto runner = MustCreate({Spec(source, "app.conf")}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_THAT(logs_.Text(), HasSubstr("removed 1 temporary file(s) left by an interrupted render"));
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), std::string("password=") + kPlantedPassword);
}

TEST_F(TemplateRunnerTest, TheRequestedModeIsApplied) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  TemplateSpec spec = Spec(source, "app.conf");
  spec.mode = 0640;
  auto runner = MustCreate({spec}, NoWorker());
  ASSERT_NE(runner, nullptr);
  ASSERT_THAT(runner->Start(), IsOk());
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() / "app.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(TemplateRunnerTest, ARestartOverAnUnchangedFileDoesNotRunTheCommand) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  {
    auto first = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
    ASSERT_THAT(first->Start(), IsOk());
  }
  auto second = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  ASSERT_THAT(second->Start(), IsOk());
  EXPECT_EQ(Runs(), 1u);
}

TEST_F(TemplateRunnerTest, RotationReRendersAndRunsTheCommandAgain) {
  auto source = WriteTemplate("app.tpl", "password={{DB_PASSWORD}}");
  auto runner = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  EXPECT_EQ(runner->RenderPending(), 0u);  // nothing rotated yet

  ASSERT_THAT(secrets_.manager().Put("database-password", SecretValue(kRotatedPassword)), IsOk());
  EXPECT_EQ(runner->RenderPending(), 1u);
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), std::string("password=") + kRotatedPassword);
  EXPECT_EQ(Runs(), 2u);
  EXPECT_THAT(logs_.Text(), HasSubstr("re-rendered"));
}

TEST_F(TemplateRunnerTest, RotationThatLeavesTheTextAsItWasWritesNothing) {
  ASSERT_THAT(secrets_.Seed("database", R"({"user":"app","password":"one"})"), IsOk());
  auto source = WriteTemplate("app.tpl", "user={{DATABASE__user}}");
  auto runner = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  ASSERT_THAT(secrets_.manager().Put("database", SecretValue(R"({"user":"app","password":"two"})")),
              IsOk());
  EXPECT_EQ(runner->RenderPending(), 0u);
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), "user=app");
  EXPECT_EQ(Runs(), 1u);
}

TEST_F(TemplateRunnerTest, MissingSecretStopsTheStartAndKeepsTheOldFile) {
  std::ofstream(dir_.path() / "app.conf") << "previous";
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}} {{MISSING_THING}}");
  auto runner = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  auto started = runner->Start();
  ASSERT_THAT(started, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(started.error().message, HasSubstr("missing-thing"));
  EXPECT_THAT(started.error().message, HasSubstr(source.string()));
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), "previous");
  EXPECT_EQ(Runs(), 0u);
}

TEST_F(TemplateRunnerTest, MissingFieldStopsTheStart) {
  ASSERT_THAT(secrets_.Seed("database", R"({"user":"app"})"), IsOk());
  auto source = WriteTemplate("app.tpl", "{{DATABASE__password}}");
  auto runner = MustCreate({Spec(source, "app.conf")}, NoWorker());
  auto started = runner->Start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message, HasSubstr("database#password"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "app.conf"));
}

TEST_F(TemplateRunnerTest, OneBadTemplateWritesNoFileAtAll) {
  auto good = WriteTemplate("good.tpl", "{{JWT_SECRET}}");
  auto bad = WriteTemplate("bad.tpl", "{{NOPE}}");
  auto runner = MustCreate({Spec(good, "good.conf"), Spec(bad, "bad.conf")}, NoWorker());
  ASSERT_FALSE(runner->Start().ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "good.conf"));
}

TEST_F(TemplateRunnerTest, MissingTemplateFileFailsCreate) {
  auto runner = TemplateRunner::Create({Spec(dir_.path() / "nope.tpl", "out")}, secrets_.manager(),
                                       nullptr, NoWorker());
  ASSERT_THAT(runner, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(runner.error().message, HasSubstr("nope.tpl"));
}

TEST_F(TemplateRunnerTest, MissingDestinationDirectoryStopsTheStart) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  auto runner = MustCreate({Spec(source, "no-such-dir/app.conf")}, NoWorker());
  auto started = runner->Start();
  ASSERT_THAT(started, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(started.error().message, HasSubstr("no-such-dir"));
}

TEST_F(TemplateRunnerTest, FailedReRenderKeepsTheOldFileLogsAndCountsThenRecovers) {
  ASSERT_THAT(secrets_.Seed("database", R"({"password":"one"})"), IsOk());
  auto source = WriteTemplate("app.tpl", "{{DB_PASSWORD}} {{DATABASE__password}}");
  auto runner = MustCreate({Spec(source, "app.conf", CountingCommand())}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  const std::string before = ReadWhole(dir_.path() / "app.conf");

  // The field disappears (its subscription cannot be read, so it does not fire), then the other
  // secret rotates: the re-render fails on the field.
  ASSERT_THAT(secrets_.manager().Put("database", SecretValue(R"({"user":"app"})")), IsOk());
  ASSERT_THAT(secrets_.manager().Put("database-password", SecretValue(kRotatedPassword)), IsOk());
  EXPECT_EQ(runner->RenderPending(), 0u);
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), before);
  EXPECT_EQ(Runs(), 1u);
  EXPECT_THAT(logs_.Text(), HasSubstr("re-rendering failed, kept the old"));
  EXPECT_THAT(logs_.Text(), HasSubstr("database#password"));
  EXPECT_THAT(secrets_.manager().metrics().RenderText(),
              HasSubstr("secrets_manager_refresh_failures_total{secret=\"database\"}"));

  // Retried (the worker does this every retry_interval) once the field is back.
  ASSERT_THAT(secrets_.manager().Put("database", SecretValue(R"({"password":"two"})")), IsOk());
  runner->RetryFailed();
  EXPECT_EQ(runner->RenderPending(), 1u);
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), std::string(kRotatedPassword) + " two");
}

TEST_F(TemplateRunnerTest, FailingCommandIsLoggedAndTheRunnerKeepsGoing) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  auto runner = MustCreate({Spec(source, "app.conf", {"/bin/sh", "-c", "exit 3"})}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  EXPECT_THAT(logs_.Text(), HasSubstr("exited with status 3"));
  ASSERT_THAT(secrets_.manager().Put("jwt-secret", SecretValue("next-jwt")), IsOk());
  EXPECT_EQ(runner->RenderPending(), 1u);
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), "next-jwt");
}

TEST_F(TemplateRunnerTest, CommandThatCannotStartIsLogged) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  auto runner = MustCreate({Spec(source, "app.conf", {"/nonexistent/reload-app"})}, NoWorker());
  ASSERT_THAT(runner->Start(), IsOk());
  EXPECT_THAT(logs_.Text(), HasSubstr("cannot run '/nonexistent/reload-app'"));
}

TEST_F(TemplateRunnerTest, CommandPastItsTimeLimitIsKilledAndLogged) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  TemplateRunnerOptions options = NoWorker();
  options.command_timeout = std::chrono::milliseconds(200);
  auto runner = MustCreate({Spec(source, "app.conf", {"/bin/sleep", "30"})}, options);
  auto started_at = std::chrono::steady_clock::now();
  ASSERT_THAT(runner->Start(), IsOk());
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, std::chrono::seconds(20));
  EXPECT_THAT(logs_.Text(), HasSubstr("did not finish"));
}

TEST_F(TemplateRunnerTest, TheWorkerReRendersOnItsOwn) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  auto runner = MustCreate({Spec(source, "app.conf")}, TemplateRunnerOptions{});
  ASSERT_THAT(runner->Start(), IsOk());
  ASSERT_THAT(secrets_.manager().Put("jwt-secret", SecretValue("worker-jwt")), IsOk());
  // Waits on a real event (the worker replacing the file), bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ReadWhole(dir_.path() / "app.conf") != "worker-jwt" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), "worker-jwt");
  runner->Stop();
  runner->Stop();  // idempotent
}

// The retry is seen through the metrics (thread-safe), not the log capture, which the worker
// writes to meanwhile.
double RefreshFailuresOf(SecretsManager& manager, const std::string& secret) {
  std::string text = manager.metrics().RenderText();
  std::string key = "secrets_manager_refresh_failures_total{secret=\"" + secret + "\"} ";
  std::size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
}

TEST_F(TemplateRunnerTest, TheWorkerRetriesAFailedReRenderUntilItSucceeds) {
  ASSERT_THAT(secrets_.Seed("database", R"({"password":"one"})"), IsOk());
  auto source = WriteTemplate("app.tpl", "{{DB_PASSWORD}} {{DATABASE__password}}");
  TemplateRunnerOptions options;
  options.retry_interval = std::chrono::milliseconds(20);
  auto runner = MustCreate({Spec(source, "app.conf")}, options);
  ASSERT_THAT(runner->Start(), IsOk());
  ASSERT_THAT(secrets_.manager().Put("database", SecretValue(R"({"user":"app"})")), IsOk());
  const double failures_before = RefreshFailuresOf(secrets_.manager(), "database");
  ASSERT_THAT(secrets_.manager().Put("database-password", SecretValue(kRotatedPassword)), IsOk());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (RefreshFailuresOf(secrets_.manager(), "database") <= failures_before &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(RefreshFailuresOf(secrets_.manager(), "database"), failures_before);
  // Fixed in the back end directly: no write through the manager, so no rotation announces it.
  ASSERT_THAT(secrets_.Seed("database", R"({"password":"two"})"), IsOk());
  const std::string expected = std::string(kRotatedPassword) + " two";
  while (ReadWhole(dir_.path() / "app.conf") != expected &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ReadWhole(dir_.path() / "app.conf"), expected);
  runner->Stop();
}

}  // namespace
}  // namespace locksmith
