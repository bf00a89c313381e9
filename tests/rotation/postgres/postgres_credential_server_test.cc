// PostgresCredentialServer against a throwaway cluster that checks passwords (scram-sha-256 for
// every role but the postgres superuser) and logs every statement.
#include "locksmith/postgres_credential_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "locksmith/testing/matchers.h"
#include "pg/conn_params.h"
#include "pg/pg_connection.h"
#include "support/postgres_cluster.h"

namespace locksmith {
namespace {

using internal::PgConnection;
using internal::PgConnParams;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using testing::PostgresCluster;

// Every password a test plants starts with this, so one scan finds any of them.
constexpr const char* kPlanted = "PLANTEDpw";

PostgresCluster& PasswordCluster() {
  static Result<std::unique_ptr<PostgresCluster>> cluster = [] {
    testing::PostgresClusterOptions options;
    options.password_auth = true;
    options.log_all_statements = true;
    return PostgresCluster::Start(options);
  }();
  if (!cluster.ok()) {
    ADD_FAILURE() << cluster.error().ToString();
    std::abort();
  }
  return **cluster;
}

std::string AdminDsn() { return PasswordCluster().Dsn("postgres"); }

// Setup statements as the superuser (trust): never with a password in them.
void Admin(const std::string& sql) {
  auto params = PgConnParams::Parse(SecretValue(AdminDsn()));
  ASSERT_TRUE(params.ok());
  auto conn = PgConnection::Connect(*params, "test setup");
  ASSERT_THAT(conn, IsOk());
  ASSERT_THAT(conn->Exec(sql, "test setup"), IsOk()) << sql;
}

Result<PgConnection> LogIn(const std::string& user, const std::string& password) {
  auto params = PgConnParams::Parse(SecretValue(PasswordCluster().Dsn(user)));
  if (!params.ok()) {
    return params.error();
  }
  params->Set("password", password);
  return PgConnection::Connect(*params, "test login");
}

Credential Cred(const std::string& user, const std::string& password) {
  return Credential{user, SecretValue(password), "v"};
}

std::unique_ptr<CredentialServer> MakeServer(
    PostgresRotationStrategy strategy = PostgresRotationStrategy::kSingleUser,
    const std::string& dsn = AdminDsn()) {
  PostgresCredentialServerOptions options;
  options.strategy = strategy;
  auto server = MakePostgresCredentialServer(SecretValue(dsn), options);
  EXPECT_THAT(server, IsOk());
  return server.ok() ? std::move(*server) : nullptr;
}

std::string ServerLog() {
  std::ifstream in(PasswordCluster().log_path());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PostgresCredentialServerTest, SingleUserNewPasswordWorksAndTheOldOneNoLonger) {
  Admin("CREATE ROLE su_app LOGIN");
  auto server = MakeServer();
  const Credential old_cred = Cred("su_app", std::string(kPlanted) + "-old-1");
  const Credential new_cred = Cred("su_app", std::string(kPlanted) + "-new-1");
  ASSERT_THAT(server->Set(old_cred, old_cred), IsOk());
  ASSERT_THAT(server->Test(old_cred), IsOk());

  EXPECT_EQ(*server->NextUsername(old_cred), "su_app");
  ASSERT_THAT(server->Set(old_cred, new_cred), IsOk());
  EXPECT_THAT(server->Test(new_cred), IsOk());
  EXPECT_THAT(LogIn("su_app", std::string(kPlanted) + "-new-1"), IsOk());
  auto refused = server->Test(old_cred);
  EXPECT_THAT(refused, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(refused.error().message, Not(HasSubstr(kPlanted)));

  // A rerun (a crash after Set) changes nothing a client sees.
  ASSERT_THAT(server->Set(old_cred, new_cred), IsOk());
  ASSERT_THAT(server->Set(old_cred, new_cred), IsOk());
  EXPECT_THAT(server->Test(new_cred), IsOk());
  EXPECT_THAT(server->Test(old_cred), HasError(ErrorCode::kUnauthenticated));

  // Nothing to retire: a role has one password.
  EXPECT_EQ(*server->PreviousStillValid(old_cred, new_cred), false);
  EXPECT_THAT(server->RetirePrevious(old_cred, new_cred), IsOk());
  EXPECT_THAT(server->Test(new_cred), IsOk());
}

TEST(PostgresCredentialServerTest, ThePasswordNeverReachesTheServerLog) {
  Admin("CREATE ROLE log_app LOGIN");
  auto server = MakeServer();
  const std::string password = std::string(kPlanted) + "-log-check-7f3a";
  ASSERT_THAT(server->Set(Cred("log_app", ""), Cred("log_app", password)), IsOk());
  ASSERT_THAT(server->Test(Cred("log_app", password)), IsOk());
  EXPECT_THAT(server->Test(Cred("log_app", password + "x")), HasError(ErrorCode::kUnauthenticated));
  const std::string log = ServerLog();
  // log_statement = all is on: the ALTER ROLE is there, with the verifier only.
  EXPECT_NE(log.find("ALTER ROLE \"log_app\" WITH PASSWORD 'SCRAM-SHA-256$4096:"),
            std::string::npos);
  // Not EXPECT_THAT(log, ...): a failure would print the password into the test output.
  EXPECT_EQ(log.find(kPlanted), std::string::npos) << "a planted password is in the server log";
}

TEST(PostgresCredentialServerTest, AlternatingUsersBothWorkAndTheCloneHasTheAppsRights) {
  Admin("CREATE ROLE alt_app LOGIN");
  Admin("CREATE TABLE alt_items (id int PRIMARY KEY, note text)");
  Admin("ALTER TABLE alt_items OWNER TO alt_app");
  auto server = MakeServer(PostgresRotationStrategy::kAlternatingUsers);
  const std::string pw1 = std::string(kPlanted) + "-alt-1";
  const std::string pw2 = std::string(kPlanted) + "-alt-2";
  const std::string pw3 = std::string(kPlanted) + "-alt-3";
  const Credential first = Cred("alt_app", pw1);
  ASSERT_THAT(server->Set(first, first), IsOk());

  auto clone_name = server->NextUsername(first);
  ASSERT_THAT(clone_name, IsOk());
  EXPECT_EQ(*clone_name, "alt_app_clone");
  const Credential second = Cred(*clone_name, pw2);
  ASSERT_THAT(server->Set(first, second), IsOk());
  ASSERT_THAT(server->Set(first, second), IsOk());  // rerun: the role exists, same outcome
  EXPECT_THAT(server->Test(second), IsOk());
  EXPECT_THAT(server->Test(first), IsOk());  // the previous user keeps working
  EXPECT_EQ(*server->PreviousStillValid(first, second), false);

  {
    auto clone = LogIn("alt_app_clone", pw2);
    ASSERT_THAT(clone, IsOk());
    EXPECT_THAT(clone->Exec("INSERT INTO alt_items VALUES (1, 'by the clone')", "t"), IsOk());
    EXPECT_THAT(clone->Exec("UPDATE alt_items SET note = 'again' WHERE id = 1", "t"), IsOk());
    auto note = clone->QueryValue("SELECT note FROM alt_items WHERE id = $1", {"1"}, "t");
    ASSERT_THAT(note, IsOk());
    EXPECT_EQ(*note, "again");
    // Even what only the owner may do: the clone inherits alt_app's ownership rights.
    EXPECT_THAT(clone->Exec("ALTER TABLE alt_items ADD COLUMN extra int", "t"), IsOk());
  }

  // The rotation after: back to alt_app, the clone keeping its password.
  EXPECT_EQ(*server->NextUsername(second), "alt_app");
  const Credential third = Cred("alt_app", pw3);
  ASSERT_THAT(server->Set(second, third), IsOk());
  EXPECT_THAT(server->Test(third), IsOk());
  EXPECT_THAT(server->Test(second), IsOk());
  EXPECT_THAT(server->Test(first), HasError(ErrorCode::kUnauthenticated));
  EXPECT_EQ(ServerLog().find(kPlanted), std::string::npos)
      << "a planted password is in the server log";
}

TEST(PostgresCredentialServerTest, AnExistingCloneWithoutTheAppsRightsIsGrantedThem) {
  Admin("CREATE ROLE alt2_app LOGIN");
  Admin("CREATE ROLE alt2_app_clone LOGIN");  // made by hand, not a member of alt2_app
  Admin("CREATE TABLE alt2_items (id int)");
  Admin("GRANT SELECT, INSERT ON alt2_items TO alt2_app");
  auto server = MakeServer(PostgresRotationStrategy::kAlternatingUsers);
  const std::string pw = std::string(kPlanted) + "-alt2";
  ASSERT_THAT(server->Set(Cred("alt2_app", ""), Cred("alt2_app_clone", pw)), IsOk());
  auto clone = LogIn("alt2_app_clone", pw);
  ASSERT_THAT(clone, IsOk());
  EXPECT_THAT(clone->Exec("INSERT INTO alt2_items VALUES (1)", "t"), IsOk());

  // A NOINHERIT clone cannot use the rights even as a member: refused, not half-applied.
  Admin("CREATE ROLE alt3_app LOGIN");
  Admin("CREATE ROLE alt3_app_clone LOGIN NOINHERIT");
  auto refused = server->Set(Cred("alt3_app", ""), Cred("alt3_app_clone", pw));
  EXPECT_THAT(refused, HasError(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(refused.error().message, HasSubstr("INHERIT"));
  EXPECT_THAT(LogIn("alt3_app_clone", pw), HasError(ErrorCode::kUnauthenticated));
}

TEST(PostgresCredentialServerTest, ARoleWithoutAlterRoleRightsIsPermissionDenied) {
  Admin("CREATE ROLE pd_app LOGIN");
  Admin("CREATE ROLE pd_weak LOGIN");
  const std::string weak_pw = std::string(kPlanted) + "-weak";
  auto admin = MakeServer();
  ASSERT_THAT(admin->Set(Cred("pd_weak", ""), Cred("pd_weak", weak_pw)), IsOk());

  auto weak = MakeServer(PostgresRotationStrategy::kSingleUser,
                         PasswordCluster().Dsn("pd_weak") + " password=" + weak_pw);
  auto denied = weak->Set(Cred("pd_app", ""), Cred("pd_app", std::string(kPlanted) + "-pd"));
  EXPECT_THAT(denied, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(denied.error().message, Not(HasSubstr(kPlanted)));

  auto alt_weak = MakeServer(PostgresRotationStrategy::kAlternatingUsers,
                             PasswordCluster().Dsn("pd_weak") + " password=" + weak_pw);
  auto no_create =
      alt_weak->Set(Cred("pd_app", ""), Cred("pd_app_clone", std::string(kPlanted) + "-pd2"));
  EXPECT_THAT(no_create, HasError(ErrorCode::kPermissionDenied));
  EXPECT_THAT(no_create.error().message, Not(HasSubstr(kPlanted)));
  EXPECT_THAT(LogIn("pd_app_clone", std::string(kPlanted) + "-pd2"),
              HasError(ErrorCode::kUnauthenticated));
}

TEST(PostgresCredentialServerTest, BadAdminDsnsAreClearErrorsWithoutTheirPassword) {
  const std::string pw = std::string(kPlanted) + "-dsn";
  auto malformed = MakePostgresCredentialServer(SecretValue("host=/tmp password='" + pw), {});
  ASSERT_THAT(malformed, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(malformed.error().message, Not(HasSubstr(kPlanted)));

  Admin("CREATE ROLE dsn_admin LOGIN CREATEROLE");
  Admin("CREATE ROLE dsn_app LOGIN");
  auto wrong_password = MakeServer(PostgresRotationStrategy::kSingleUser,
                                   PasswordCluster().Dsn("dsn_admin") + " password=" + pw);
  auto refused = wrong_password->Set(Cred("dsn_app", ""), Cred("dsn_app", pw + "-new"));
  EXPECT_THAT(refused, HasError(ErrorCode::kUnauthenticated));
  EXPECT_THAT(refused.error().message, Not(HasSubstr(kPlanted)));

  auto no_password =
      MakeServer(PostgresRotationStrategy::kSingleUser, PasswordCluster().Dsn("dsn_admin"));
  EXPECT_THAT(no_password->Set(Cred("dsn_app", ""), Cred("dsn_app", pw + "-new")),
              HasError(ErrorCode::kUnauthenticated));

  auto unreachable = MakeServer(PostgresRotationStrategy::kSingleUser,
                                "host=/nonexistent-locksmith-dir user=postgres password=" + pw);
  auto down = unreachable->Set(Cred("dsn_app", ""), Cred("dsn_app", pw + "-new"));
  EXPECT_THAT(down, HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(down.error().message, Not(HasSubstr(kPlanted)));
  EXPECT_THAT(unreachable->Test(Cred("dsn_app", pw)), HasError(ErrorCode::kUnavailable));
}

TEST(PostgresCredentialServerTest, MissingUsersAndRolesAreClearErrors) {
  auto server = MakeServer();
  auto no_user = server->NextUsername(Cred("", "x"));
  EXPECT_THAT(no_user, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_user.error().message, HasSubstr("username"));
  EXPECT_THAT(server->Set(Cred("", ""), Cred("", std::string(kPlanted))),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeServer(PostgresRotationStrategy::kAlternatingUsers)->NextUsername(Cred("", "")),
              HasError(ErrorCode::kInvalidArgument));

  auto missing = server->Set(Cred("no_such_role", ""),
                             Cred("no_such_role", std::string(kPlanted) + "-missing"));
  EXPECT_THAT(missing, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(missing.error().message, HasSubstr("no_such_role"));
  EXPECT_THAT(missing.error().message, Not(HasSubstr(kPlanted)));
  EXPECT_THAT(server->Test(Cred("no_such_role", std::string(kPlanted))),
              HasError(ErrorCode::kUnauthenticated));

  PostgresCredentialServerOptions no_suffix;
  no_suffix.strategy = PostgresRotationStrategy::kAlternatingUsers;
  no_suffix.clone_suffix = "";
  EXPECT_THAT(MakePostgresCredentialServer(SecretValue(AdminDsn()), no_suffix),
              HasError(ErrorCode::kInvalidArgument));
}

TEST(PostgresCredentialServerTest, RoleNamesAreQuotedNotPasted) {
  // A name that would end the statement if pasted: it is one identifier.
  Admin("CREATE ROLE \"odd\"\"; DROP ROLE postgres; --\" LOGIN");
  auto server = MakeServer();
  const std::string pw = std::string(kPlanted) + "-odd";
  const Credential odd = Cred("odd\"; DROP ROLE postgres; --", pw);
  ASSERT_THAT(server->Set(odd, odd), IsOk());
  EXPECT_THAT(server->Test(odd), IsOk());
}

}  // namespace
}  // namespace locksmith
