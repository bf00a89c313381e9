// `locksmith rotate NAME --postgres-env VAR` and `--redis URL` end to end: the real program over
// the embedded store, against a real PostgreSQL cluster that checks passwords and a real
// redis-server. The app user logs in with the new password afterwards and not with the old one;
// the Redis rerun after --no-wait only retires; admin passwords on argv are refused; nothing
// the program prints holds a password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <string>
#include <vector>

#include "child_process.h"
#include "leak_scan.h"
#include "local_store_env.h"
#include "locksmith/testing/matchers.h"
#include "rotation/redis/redis_connection.h"
#include "support/postgres_cluster.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::MatchesRegex;
using testing::ProcessResult;

constexpr char kRotateCli[] = LOCKSMITH_CLI_PATH;
constexpr char kAppOldPassword[] = "app-old-PLANTED-e51d";
constexpr char kRedisAdminPassword[] = "redis-admin-PLANTED-0c3a";

class RotateCredentialCliTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_GT(testing::ExpectNoNeedleLeaked(captured_, needles_), 0u); }

  std::vector<std::string> Env(const std::vector<std::string>& extra = {}) const {
    return testing::LocalStoreEnv(dir_.path(), extra);
  }

  ProcessResult Run(std::vector<std::string> args, std::vector<std::string> extra_env = {},
                    std::string_view stdin_text = {}) {
    args.insert(args.begin(), kRotateCli);
    ChildProcess child(args, Env(std::move(extra_env)));
    EXPECT_TRUE(child.started());
    child.WriteStdinAndClose(stdin_text);
    ProcessResult result = child.Finish();
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    return result;
  }

  void Put(const std::string& name, const std::string& value) {
    ProcessResult put = Run({"put", name}, {}, value);
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }

  // Read without capturing (the value is what the scan looks for); a password joins the needles.
  std::string Reveal(const std::string& ref) {
    ChildProcess get({kRotateCli, "get", ref}, Env());
    get.CloseStdin();
    ProcessResult value = get.Finish();
    EXPECT_EQ(value.exit_code, 0) << value.err;
    std::string text = value.out;
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    if (ref.find("#username") == std::string::npos) {
      needles_.push_back(text);
    }
    return text;
  }

  testing::TempDir dir_;
  std::vector<std::string> captured_;
  std::vector<std::string> needles_ = {kAppOldPassword, kRedisAdminPassword};
};

bool PostgresLogin(const testing::PostgresCluster& cluster, const std::string& user,
                   const std::string& password) {
  const std::string base = cluster.Dsn(user);
  // host/port from the cluster's DSN, the rest by keyword: no password pasted into a string.
  PQconninfoOption* parsed = PQconninfoParse(base.c_str(), nullptr);
  std::vector<const char*> k;
  std::vector<const char*> v;
  for (PQconninfoOption* o = parsed; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::string(o->keyword) != "password") {
      k.push_back(o->keyword);
      v.push_back(o->val);
    }
  }
  k.push_back("password");
  v.push_back(password.c_str());
  k.push_back(nullptr);
  v.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(k.data(), v.data(), 0);
  const bool ok = PQstatus(conn) == CONNECTION_OK;
  PQfinish(conn);
  PQconninfoFree(parsed);
  return ok;
}

TEST_F(RotateCredentialCliTest, PostgresSingleUserAlternatingUsersAndUsageErrors) {
  testing::PostgresClusterOptions options;
  options.password_auth = true;
  auto cluster = testing::PostgresCluster::Start(options);
  ASSERT_THAT(cluster, IsOk());
  {
    pqxx::connection admin((*cluster)->Dsn());
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE ROLE app LOGIN PASSWORD '" + std::string(kAppOldPassword) + "'");
  }
  ASSERT_TRUE(PostgresLogin(**cluster, "app", kAppOldPassword));
  Put("database-password", R"({"username":"app","password":")" + std::string(kAppOldPassword) +
                               R"(","dbname":")" + (*cluster)->database() + R"("})");
  const std::string admin_env = "ADMIN_DSN=" + (*cluster)->Dsn();

  ProcessResult rotate =
      Run({"rotate", "database-password", "--postgres-env", "ADMIN_DSN"}, {admin_env});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_THAT(rotate.out, MatchesRegex("[^ ]+ app\n"));
  EXPECT_THAT(rotate.err, HasSubstr("(postgres): set"));
  EXPECT_THAT(rotate.err, HasSubstr("(postgres): finish"));
  const std::string new_password = Reveal("database-password#password");
  EXPECT_EQ(new_password.size(), 43u);
  EXPECT_TRUE(PostgresLogin(**cluster, "app", new_password));
  EXPECT_FALSE(PostgresLogin(**cluster, "app", kAppOldPassword));
  EXPECT_EQ(Reveal("database-password#username"), "app");

  // Alternating users: the clone is created, the secret switches to it, app keeps working.
  ProcessResult alternating = Run({"rotate", "database-password", "--postgres-env", "ADMIN_DSN",
                                   "--strategy", "alternating-users"},
                                  {admin_env});
  ASSERT_EQ(alternating.exit_code, 0) << alternating.err;
  EXPECT_THAT(alternating.out, MatchesRegex("[^ ]+ app_clone\n"));
  EXPECT_EQ(Reveal("database-password#username"), "app_clone");
  EXPECT_TRUE(PostgresLogin(**cluster, "app_clone", Reveal("database-password#password")));
  EXPECT_TRUE(PostgresLogin(**cluster, "app", new_password));

  // Usage: an admin DSN with a password on argv is refused and never echoed; no server given.
  ProcessResult on_argv = Run({"rotate", "database-password", "--postgres",
                               (*cluster)->Dsn() + " password=" + kAppOldPassword});
  // (This argv is a test of the refusal: the leak scan of argvs skips the needle here.)
  testing::SpawnedArgvs().pop_back();
  EXPECT_EQ(on_argv.exit_code, 2);
  EXPECT_THAT(on_argv.err, HasSubstr("--postgres holds a password"));
  ProcessResult both = Run({"rotate", "database-password", "--postgres", (*cluster)->Dsn(),
                            "--redis", "unix:///nowhere"});
  EXPECT_EQ(both.exit_code, 2);
  // A wrong strategy is a usage error.
  EXPECT_EQ(Run({"rotate", "database-password", "--postgres", (*cluster)->Dsn(), "--strategy",
                 "sideways"})
                .exit_code,
            2);
}

TEST_F(RotateCredentialCliTest, RedisBothPasswordsWorkUntilTheOldOneIsRetired) {
  auto server = testing::RedisServer::Start(kRedisAdminPassword);
  ASSERT_THAT(server, IsOk());
  internal::RedisEndpoint endpoint;
  endpoint.unix_socket = (*server)->socket().string();
  auto admin = internal::RedisConnection::Connect(endpoint);
  ASSERT_THAT(admin, IsOk());
  ASSERT_THAT((*admin)->Auth("admin", SecretValue(kRedisAdminPassword)), IsOk());
  ASSERT_THAT((*admin)->Command({"ACL", "SETUSER", "app", "on", ">" + std::string(kAppOldPassword),
                                 "~*", "+@all"}),
              IsOk());
  const auto login = [&](const std::string& password) {
    auto c = internal::RedisConnection::Connect(endpoint);
    return c.ok() && (*c)->Auth("app", SecretValue(password)).ok();
  };
  Put("redis-password",
      R"({"username":"app","password":")" + std::string(kAppOldPassword) + R"("})");
  // The admin user with an empty password in the URL ("user:" as redis-cli reads it); the
  // password itself from REDISCLI_AUTH.
  const std::string url = "unix://admin:@" + (*server)->socket().string();
  const std::string auth = "REDISCLI_AUTH=" + std::string(kRedisAdminPassword);

  // --no-wait: promoted, both passwords valid, the command says when to come back.
  ProcessResult rotate = Run({"rotate", "redis-password", "--redis", url, "--no-wait"}, {auth});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_THAT(rotate.err, HasSubstr("run this command again after"));
  const std::string new_password = Reveal("redis-password#password");
  EXPECT_TRUE(login(new_password));
  EXPECT_TRUE(login(kAppOldPassword));

  // The rerun only retires (the wait is over at once with --retire-after 0s).
  ProcessResult retire =
      Run({"rotate", "redis-password", "--redis", url, "--retire-after", "0s"}, {auth});
  ASSERT_EQ(retire.exit_code, 0) << retire.err;
  EXPECT_THAT(retire.err, HasSubstr("retire"));
  EXPECT_THAT(retire.err, HasSubstr("finished the rotation an earlier run left half-done"));
  EXPECT_EQ(Reveal("redis-password#password"), new_password);  // no second rotation
  EXPECT_TRUE(login(new_password));
  EXPECT_FALSE(login(kAppOldPassword));

  // The admin password in the URL on argv is refused and never echoed.
  ProcessResult on_argv = Run({"rotate", "redis-password", "--redis",
                               "redis://admin:" + std::string(kRedisAdminPassword) + "@127.0.0.1"});
  testing::SpawnedArgvs().pop_back();  // the refusal's own argv, as above
  EXPECT_EQ(on_argv.exit_code, 2);
  EXPECT_THAT(on_argv.err, HasSubstr("--redis holds a password"));
  // A wrong admin password: denied (exit 4).
  ProcessResult denied =
      Run({"rotate", "redis-password", "--redis", url}, {"REDISCLI_AUTH=wrong-admin-PLANTED-77"});
  EXPECT_EQ(denied.exit_code, 4) << denied.err;
  captured_.push_back((*server)->LogText());
}

}  // namespace
}  // namespace locksmith
