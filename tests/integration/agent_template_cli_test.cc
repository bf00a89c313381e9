// `locksmith agent --template` through the real program on the embedded store: the file rendered
// at start (content, mode), re-rendered when `locksmith put` / `rotate` change a secret (the
// agent's background refresh notices within LOCKSMITH_CACHE_TTL), the command run after each
// render, and every bad input refused before the agent serves. No planted value may appear in
// anything the agent prints or in any child's argv; the rendered file holds them, of course.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/agent_process.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "integration/local_store_env.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::AgentProcess;
using testing::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

constexpr char kTemplateCli[] = LOCKSMITH_CLI_PATH;
constexpr char kTemplatePlantedPassword[] = "tpl-planted-pw<&\"'x";
constexpr char kTemplateNewPassword[] = "tpl-rotated-pw>&y";
constexpr char kTemplatePlantedJwt[] = "tpl-planted-jwt-secret";

std::string FileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls until `done` holds (a file the agent writes), at most 30 s; never a fixed sleep.
bool PollUntil(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

class AgentTemplateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Run({"put", "database-password"}, kTemplatePlantedPassword).exit_code, 0);
    ASSERT_EQ(Run({"put", "jwt-secret"}, kTemplatePlantedJwt).exit_code, 0);
  }

  std::vector<std::string> Env() const {
    // A short TTL: the agent's background refresh sees another process's write within ~1 s.
    return testing::LocalStoreEnv(dir_.path(), {"LOCKSMITH_CACHE_TTL=1s"});
  }

  ProcessResult Run(std::vector<std::string> args, std::optional<std::string> input = {}) {
    args.insert(args.begin(), kTemplateCli);
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    ProcessResult result = child.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    return result;
  }

  // An agent that must refuse to start: its exit and what it printed.
  ProcessResult RunAgentExpectingFailure(const std::vector<std::string>& template_flags) {
    std::vector<std::string> args = {kTemplateCli, "agent", "--listen", "127.0.0.1:0"};
    for (const std::string& flag : template_flags) {
      args.push_back("--template");
      args.push_back(flag);
    }
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    ProcessResult result = child.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    EXPECT_THAT(result.err, Not(HasSubstr("listening on")));
    return result;
  }

  std::filesystem::path WriteTemplate(const std::string& name, const std::string& text) {
    std::filesystem::path path = dir_.path() / name;
    std::ofstream(path) << text;
    return path;
  }

  std::size_t CommandRuns() const {
    std::string text = FileText(dir_.path() / "runs");
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  std::string CountingCommand() const {
    return "/bin/sh -c 'echo ran >> \"" + (dir_.path() / "runs").string() + "\"'";
  }

  void ExpectNothingLeaked(const std::vector<std::string>& extra_needles = {}) {
    std::vector<std::string> needles = {kTemplatePlantedPassword, kTemplateNewPassword,
                                        kTemplatePlantedJwt};
    needles.insert(needles.end(), extra_needles.begin(), extra_needles.end());
    EXPECT_GT(testing::ExpectNoNeedleLeaked(captured_, needles), 0u);
  }

  testing::TempDir dir_;
  std::vector<std::string> captured_;  // everything that must be free of planted values
};

TEST_F(AgentTemplateCliTest, RendersAtStartAndAgainOnEachRotationThenRunsTheCommand) {
  auto source = WriteTemplate("app.conf.tpl", "password={{DB_PASSWORD}}\njwt={{JWT_SECRET}}\n");
  std::filesystem::path out = dir_.path() / "app.conf";
  AgentProcess agent(
      kTemplateCli, Env(),
      {"--template", source.string() + ":" + out.string() + "::" + CountingCommand()});
  ASSERT_GT(agent.port(), 0) << "the agent did not start";

  EXPECT_EQ(FileText(out), std::string("password=") + kTemplatePlantedPassword +
                               "\njwt=" + kTemplatePlantedJwt + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(CommandRuns(), 1u);

  // Another process stores a new password: the agent's refresh notices and re-renders.
  ASSERT_EQ(Run({"put", "database-password"}, kTemplateNewPassword).exit_code, 0);
  EXPECT_TRUE(PollUntil([&] {
    return FileText(out).find(kTemplateNewPassword) != std::string::npos && CommandRuns() == 2;
  })) << "not re-rendered after put";
  EXPECT_THAT(FileText(out), HasSubstr(std::string("jwt=") + kTemplatePlantedJwt));

  // A rotation (random value) likewise.
  ASSERT_EQ(Run({"rotate", "jwt-secret"}).exit_code, 0);
  EXPECT_TRUE(PollUntil([&] {
    return FileText(out).find(kTemplatePlantedJwt) == std::string::npos && CommandRuns() == 3;
  })) << "not re-rendered after rotate";
  std::string rendered = FileText(out);
  std::string rotated_jwt = rendered.substr(rendered.find("jwt=") + 4);
  rotated_jwt.pop_back();  // the newline
  ASSERT_GE(rotated_jwt.size(), 16u);
  EXPECT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ProcessResult stopped = agent.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("re-rendered " + out.string()));
  captured_.push_back(stopped.out);
  captured_.push_back(stopped.err);
  ExpectNothingLeaked({rotated_jwt});
}

TEST_F(AgentTemplateCliTest, ModeFieldSetsTheFileMode) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  std::filesystem::path out = dir_.path() / "shared.conf";
  AgentProcess agent(kTemplateCli, Env(),
                     {"--template", source.string() + ":" + out.string() + ":0640"});
  ASSERT_GT(agent.port(), 0);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(FileText(out), kTemplatePlantedJwt);
  ProcessResult stopped = agent.Terminate();
  captured_.push_back(stopped.err);
  ExpectNothingLeaked();
}

TEST_F(AgentTemplateCliTest, MalformedTemplateStopsTheStartNamingFileAndLine) {
  auto source = WriteTemplate("bad.tpl", "ok={{JWT_SECRET}}\nbroken={{DB_PASSWORD\n");
  ProcessResult result =
      RunAgentExpectingFailure({source.string() + ":" + (dir_.path() / "out").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("template '" + source.string() + "' line 2"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "out"));
  ExpectNothingLeaked();
}

TEST_F(AgentTemplateCliTest, MissingSecretOrFieldStopsTheStartAndKeepsTheOldFile) {
  std::filesystem::path out = dir_.path() / "app.conf";
  std::ofstream(out) << "previous content";
  auto missing = WriteTemplate("missing.tpl", "{{JWT_SECRET}} {{NO_SUCH_SECRET}}");
  ProcessResult result = RunAgentExpectingFailure({missing.string() + ":" + out.string()});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("no-such-secret"));

  auto field = WriteTemplate("field.tpl", "{{DB_PASSWORD__password}}");
  result = RunAgentExpectingFailure({field.string() + ":" + out.string()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("database-password#password"));
  EXPECT_EQ(FileText(out), "previous content");
  ExpectNothingLeaked();
}

TEST_F(AgentTemplateCliTest, BadFlagsAndPathsAreRefusedBeforeServing) {
  auto source = WriteTemplate("app.tpl", "{{JWT_SECRET}}");
  std::string out = (dir_.path() / "out").string();

  ProcessResult mode = RunAgentExpectingFailure({source.string() + ":" + out + ":rw"});
  EXPECT_EQ(mode.exit_code, 2);
  EXPECT_THAT(mode.err, HasSubstr("MODE must be octal"));

  ProcessResult twice =
      RunAgentExpectingFailure({source.string() + ":" + out, source.string() + ":" + out});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("same file"));

  ProcessResult no_source =
      RunAgentExpectingFailure({(dir_.path() / "nope.tpl").string() + ":" + out});
  EXPECT_EQ(no_source.exit_code, 3);
  EXPECT_THAT(no_source.err, HasSubstr("nope.tpl"));

  std::string in_missing_dir = (dir_.path() / "no-dir" / "out").string();
  ProcessResult no_dir = RunAgentExpectingFailure({source.string() + ":" + in_missing_dir});
  EXPECT_EQ(no_dir.exit_code, 3);
  EXPECT_THAT(no_dir.err, HasSubstr(in_missing_dir));

  ProcessResult no_dest = RunAgentExpectingFailure({source.string()});
  EXPECT_EQ(no_dest.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(out));
  ExpectNothingLeaked();
}

}  // namespace
}  // namespace locksmith
