// The real `locksmith` program with VAULT_ADDR at a Vault standby (issue 10): it follows the 307
// to the active node, and the redirects it must refuse end with the CLI's exit codes: 2 for a
// target the TLS rules refuse (a configuration to fix), 5 for a redirect loop (an outage).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/child_process.h"
#include "providers/vault/vault_test_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;

class VaultCliStandbyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(active_.ok() && standby_.ok()) << "vault test servers did not start";
    active_.Admin("POST", "/v1/secret/data/app/jwt-secret", {{"data", {{"value", "from-active"}}}});
  }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), LOCKSMITH_CLI_PATH);
    std::vector<std::string> env = {
        "HOME=" + dir_.path().string(),
        "SECRETS_BACKEND=vault",
        "VAULT_ADDR=" + standby_.addr(),
        "VAULT_MOUNT_PATH=secret/app",
        "VAULT_TOKEN=root-standby-planted",
        "LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string(),
        "LOCKSMITH_RETRY_BASE_DELAY=5ms",
        "LOCKSMITH_RETRY_MAX_DELAY=20ms",
        "VAULT_CLIENT_TIMEOUT=5s",
    };
    ChildProcess child(args, env);
    EXPECT_TRUE(child.started());
    return child.Finish();
  }

  testing::VaultTestServer active_{};
  testing::VaultTestServer standby_{};
  testing::TempDir dir_;
};

TEST_F(VaultCliStandbyTest, FollowsTheStandbyAndExitsClearlyOnARefusedRedirect) {
  // The planted root token exists only on the active node.
  active_.Admin("POST", "/v1/auth/token/create",
                {{"id", "root-standby-planted"}, {"policies", {"root"}}});
  standby_.Admin("POST", "/_test/standby", {{"redirect_to", active_.addr()}});
  ProcessResult ok = Run({"get", "jwt-secret"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "from-active\n");

  standby_.Admin("POST", "/_test/standby", {{"redirect_to", "http://vault-active.example.com"}});
  ProcessResult refused = Run({"get", "jwt-secret"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("LOCKSMITH_ALLOW_INSECURE_HTTP"));
  EXPECT_THAT(refused.err + refused.out, Not(HasSubstr("planted")));

  standby_.Admin("POST", "/_test/standby", {{"redirect_to", standby_.addr()}});
  ProcessResult loop = Run({"get", "jwt-secret"});
  EXPECT_EQ(loop.exit_code, 5) << loop.err;
  EXPECT_THAT(loop.err, HasSubstr("more than 2 redirects"));
}

}  // namespace
}  // namespace locksmith
