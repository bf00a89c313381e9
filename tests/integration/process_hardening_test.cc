// The `locksmith` program keeps its secrets out of core dumps and out of /proc/PID/environ: a
// running agent has a core size limit of 0 (unless LOCKSMITH_ALLOW_CORE_DUMPS), and the
// secret-bearing variables it was started with are gone from its environment block, bytes and all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "integration/agent_process.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::AgentProcess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHardeningCli[] = LOCKSMITH_CLI_PATH;

// base64 of the 32 bytes "planted-master-key-0123456789abc".
constexpr char kHardeningMasterKey[] = "cGxhbnRlZC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmM=";
constexpr char kHardeningAgentToken[] = "planted-agent-token-4c1e9b";
constexpr char kHardeningVaultToken[] = "hvs.planted-vault-token-77aa";
constexpr char kHardeningAwsSecret[] = "planted-aws-secret-key-d00f";

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// "Max core file size  <soft>  <hard>  bytes" of /proc/PID/limits, spaces collapsed.
std::string CoreLimitLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Max core file size")) {
      std::string collapsed;
      for (char c : line) {
        if (c != ' ' || (!collapsed.empty() && collapsed.back() != ' ')) {
          collapsed += c;
        }
      }
      return collapsed;
    }
  }
  return "";
}

class ProcessHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Give the agent a core limit to inherit that is not already 0, so "0 0" means it set it.
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_CORE, &limit), 0);
    if (limit.rlim_max == 0) {
      GTEST_SKIP() << "this test process may not have core dumps at all";
    }
    limit.rlim_cur = limit.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_CORE, &limit), 0);
  }

  std::vector<std::string> Env(std::vector<std::string> extra = {}) const {
    std::vector<std::string> env = {
        "HOME=" + dir_.path().string(),
        "SECRETS_BACKEND=local",
        "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
        std::string("LOCKSMITH_MASTER_KEY=") + kHardeningMasterKey,
        std::string("LOCKSMITH_AGENT_TOKEN=") + kHardeningAgentToken,
        std::string("VAULT_TOKEN=") + kHardeningVaultToken,
        "AWS_ACCESS_KEY_ID=AKIDPLANTED",
        std::string("AWS_SECRET_ACCESS_KEY=") + kHardeningAwsSecret,
    };
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }

  static void ExpectNoPlantedSecretIn(const std::string& text) {
    for (const char* planted :
         {kHardeningMasterKey, kHardeningAgentToken, kHardeningVaultToken, kHardeningAwsSecret}) {
      EXPECT_THAT(text, Not(HasSubstr(planted)));
    }
  }

  testing::TempDir dir_;
};

TEST_F(ProcessHardeningTest, AgentHasNoCoreLimitAndNoSecretsInItsEnvironment) {
  AgentProcess agent(kHardeningCli, Env());
  ASSERT_GT(agent.port(), 0);
  EXPECT_THAT(CoreLimitLine(agent.pid()), HasSubstr("Max core file size 0 0 "));
  // Unreadable when not running as root (the process is not dumpable); as root, readable, and
  // then the planted values must be gone from the exec-time block itself.
  const std::string environ = ReadWhole("/proc/" + std::to_string(agent.pid()) + "/environ");
  ExpectNoPlantedSecretIn(environ);
  if (!environ.empty()) {
    EXPECT_THAT(environ, HasSubstr("SECRETS_BACKEND=local"));  // the others are untouched
  }
  auto result = agent.Terminate();
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(ProcessHardeningTest, AllowCoreDumpsKeepsTheLimitAndStillClearsTheEnvironment) {
  AgentProcess agent(kHardeningCli, Env({"LOCKSMITH_ALLOW_CORE_DUMPS=true"}));
  ASSERT_GT(agent.port(), 0);
  EXPECT_THAT(CoreLimitLine(agent.pid()), Not(HasSubstr("Max core file size 0 0 ")));
  EXPECT_THAT(CoreLimitLine(agent.pid()), HasSubstr("Max core file size"));
  // Still dumpable, so readable by this (same-user) test: the planted values are gone.
  const std::string environ = ReadWhole("/proc/" + std::to_string(agent.pid()) + "/environ");
  EXPECT_THAT(environ, HasSubstr("LOCKSMITH_ALLOW_CORE_DUMPS=true"));
  ExpectNoPlantedSecretIn(environ);
  auto result = agent.Terminate();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("LOCKSMITH_ALLOW_CORE_DUMPS is set"));
}

TEST_F(ProcessHardeningTest, MalformedAllowCoreDumpsIsAUsageError) {
  testing::ChildProcess child({kHardeningCli, "status"},
                              Env({"LOCKSMITH_ALLOW_CORE_DUMPS=perhaps"}));
  auto result = child.Finish();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("LOCKSMITH_ALLOW_CORE_DUMPS='perhaps' is invalid"));
}

}  // namespace
}  // namespace locksmith
