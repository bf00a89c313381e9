// `locksmith agent` as a library call: seeding, token handling, serving until shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "locksmith/testing/in_memory_secrets.h"
#include "locksmith/testing/matchers.h"
#include "support/http_client.h"
#include "support/log_capture.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

class AgentCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.listen = "127.0.0.1:0";
    options_.token_file = dir_.path() / "data" / "agent.token";
  }

  std::string ReadTokenFile() {
    std::ifstream in(options_.token_file);
    std::string token;
    std::getline(in, token);
    return token;
  }

  testing::LogCapture logs_;
  testing::TempDir dir_;
  // Default options (three tries per call), background refresh off.
  static SecretsManagerOptions Options() {
    SecretsManagerOptions options;
    options.background_refresh = false;
    return options;
  }
  testing::InMemorySecrets secrets_{"local", Options()};
  testing::InMemoryProvider* provider_ = &secrets_.provider();
  SecretsManager* manager_ = &secrets_.manager();
  testing::FakeRandom& random_ = secrets_.random();
  AgentCommandOptions options_;
  std::ostringstream err_;
};

TEST_F(AgentCommandTest, GeneratesATokenSeedsAndServesUntilShutdown) {
  int status = 0;
  std::string body;
  auto result =
      AgentCommand(*manager_, nullptr, random_, options_, err_, [&](const AgentServer& server) {
        testing::HttpClient cli("127.0.0.1", server.Port());
        auto res = cli.Get("/secretsmanager/get?secretId=database-password",
                           {{std::string(kAgentTokenHeader), ReadTokenFile()}});
        ASSERT_TRUE(res);
        status = res->status;
        body = res->body;
      });
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(status, 200);
  auto seeded = provider_->Get("database-password", VersionSelector::Current());
  ASSERT_THAT(seeded, IsOk());
  EXPECT_THAT(body, HasSubstr(seeded->value.RevealUnsafe()));
  EXPECT_EQ(provider_->List("")->size(), 5u);

  struct stat st {};
  ASSERT_EQ(stat(options_.token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string token = ReadTokenFile();
  EXPECT_EQ(token.size(), 64u);

  std::string err = err_.str();
  EXPECT_THAT(err, HasSubstr("listening on http://127.0.0.1:"));
  EXPECT_THAT(err, HasSubstr("curl -H \"X-Aws-Parameters-Secrets-Token: $(cat '" +
                             options_.token_file.string() + "')\""));
  EXPECT_THAT(err, HasSubstr("secretId=database-password"));
  EXPECT_THAT(err, HasSubstr("stopped"));
  for (const std::string& text : {err, logs_.Text()}) {
    EXPECT_THAT(text, Not(HasSubstr(token)));
    EXPECT_THAT(text, Not(HasSubstr(seeded->value.RevealUnsafe())));
  }
  EXPECT_THAT(logs_.Text(), HasSubstr("seeded 5 development secrets"));
}

TEST_F(AgentCommandTest, UsesTheConfiguredTokenAndDoesNotSeedProduction) {
  options_.token_spec = SecretValue("configured-token-Pz81");
  options_.app_env = "production";
  int good = 0;
  int bad = 0;
  auto result =
      AgentCommand(*manager_, nullptr, random_, options_, err_, [&](const AgentServer& server) {
        testing::HttpClient cli("127.0.0.1", server.Port());
        good = cli.Get("/secretsmanager/get?secretId=anything",
                       {{std::string(kAgentTokenHeader), "configured-token-Pz81"}})
                   ->status;
        bad = cli.Get("/secretsmanager/get?secretId=anything",
                      {{std::string(kAgentTokenHeader), "other"}})
                  ->status;
      });
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(good, 404);  // authorized; nothing was seeded in production
  EXPECT_EQ(bad, 403);
  EXPECT_TRUE(provider_->List("")->empty());
  EXPECT_FALSE(std::filesystem::exists(options_.token_file));
  EXPECT_THAT(err_.str(), HasSubstr("$LOCKSMITH_AGENT_TOKEN"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("configured-token-Pz81")));
}

// Issue 9: every start wrote a new token, so a client that had read the file got 403 after a
// restart. The file is kept; --new-token replaces it.
TEST_F(AgentCommandTest, KeepsTheTokenFileAcrossRestarts) {
  options_.seed = false;
  auto no_wait = [](const AgentServer&) {};
  ASSERT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, no_wait), IsOk());
  const std::string first = ReadTokenFile();
  ASSERT_EQ(first.size(), 64u);
  ASSERT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, no_wait), IsOk());
  EXPECT_EQ(ReadTokenFile(), first);
  EXPECT_THAT(logs_.Text(), HasSubstr("using the agent token in"));

  options_.new_token = true;
  ASSERT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, no_wait), IsOk());
  EXPECT_NE(ReadTokenFile(), first);
  EXPECT_EQ(ReadTokenFile().size(), 64u);
}

TEST_F(AgentCommandTest, TokenFromAFile) {
  auto path = dir_.path() / "token-file";
  std::ofstream(path) << "file-token-Wq2\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  options_.token_spec = SecretValue("file://" + path.string());
  int status = 0;
  ASSERT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_,
                           [&](const AgentServer& server) {
                             testing::HttpClient cli("127.0.0.1", server.Port());
                             status = cli.Get("/secretsmanager/get?secretId=jwt-secret",
                                              {{std::string(kAgentTokenHeader), "file-token-Wq2"}})
                                          ->status;
                           }),
              IsOk());
  EXPECT_EQ(status, 200);
  EXPECT_THAT(err_.str(), HasSubstr("$(cat '" + path.string() + "')"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("file-token-Wq2")));
}

TEST_F(AgentCommandTest, Errors) {
  bool waited = false;
  auto wait = [&](const AgentServer&) { waited = true; };

  options_.listen = "nonsense";
  EXPECT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, wait),
              HasError(ErrorCode::kInvalidArgument));

  options_.listen = "0.0.0.0:0";
  EXPECT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, wait),
              HasError(ErrorCode::kPermissionDenied));

  options_.listen = "127.0.0.1:0";
  options_.token_spec = SecretValue("file://" + (dir_.path() / "missing").string());
  EXPECT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, wait),
              HasError(ErrorCode::kNotFound));

  options_.token_spec.reset();
  options_.token_file = dir_.path() / "data" / "agent.token";
  options_.seed = false;
  std::ofstream(dir_.path() / "blocker") << "x";
  options_.token_file = dir_.path() / "blocker" / "agent.token";
  EXPECT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, wait),
              HasError(ErrorCode::kUnavailable));

  options_.token_file = dir_.path() / "agent.token";
  options_.seed = true;
  provider_->Fail(ErrorCode::kUnavailable);
  EXPECT_THAT(AgentCommand(*manager_, nullptr, random_, options_, err_, wait),
              HasError(ErrorCode::kUnavailable));
  EXPECT_FALSE(waited);
}

}  // namespace
}  // namespace locksmith
