// The example service (examples/rotating_service) end to end: a throwaway PostgreSQL, a throwaway
// redis-server, the embedded store seeded through the `locksmith` program, and the service as a
// child process. Checks every endpoint; then rotates jwt-secret and db-encryption-key with
// `locksmith rotate` and the Redis password by hand, and checks the service lives through them
// with the same PID: tokens issued before still verify, rows written before still decrypt, new
// rows carry the new key id, a changed Redis password is followed (by subscription, and by a
// refresh after WRONGPASS), and so is a PostgreSQL password changed in the server first (a refresh
// after 28P01). Password rotations through `locksmith rotate` (CredentialServer) come later.
// No secret appears in anything the service or the program printed,
// in any HTTP answer, or in any argv.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "examples/redis_command.h"
#include "integration/child_process.h"
#include "integration/leak_scan.h"
#include "locksmith/encryption_key_ring.h"
#include "support/http_client.h"
#include "support/postgres_cluster.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using json = nlohmann::json;
using testing::ChildProcess;
using testing::HttpClient;
using testing::PostgresCluster;
using testing::ProcessResult;
using testing::RedisCommand;
using testing::RedisServer;
using testing::TempDir;

constexpr char kCliPath[] = LOCKSMITH_CLI_PATH;
constexpr char kServicePath[] = ROTATING_SERVICE_PATH;
constexpr char kDbPassword[] = "db-pw-Qx81-never-printed";
constexpr char kRedisPassword1[] = "redis-pw-1-Lm27-never-printed";
constexpr char kRedisPassword2[] = "redis-pw-2-Vb44-never-printed";
constexpr char kRedisPassword3[] = "redis-pw-3-Zt09-never-printed";
constexpr char kRedisAdminPassword[] = "redis-admin-pw-Hh52";
constexpr char kAppDbPassword1[] = "app-db-pw-1-Rr63-never-printed";
constexpr char kAppDbPassword2[] = "app-db-pw-2-Ww18-never-printed";
constexpr auto kBound = std::chrono::seconds(30);  // every wait on the service

// "host=... port=N ..." -> the value of `key`.
std::string DsnField(const std::string& dsn, const std::string& key) {
  const std::size_t at = dsn.find(key + "=");
  if (at == std::string::npos) {
    return "";
  }
  const std::size_t start = at + key.size() + 1;
  return dsn.substr(start, dsn.find(' ', start) - start);
}

// Sanitizer settings of this test process, passed on to children (the service links libpqxx,
// whose known leak is suppressed through LSAN_OPTIONS).
std::vector<std::string> SanitizerEnv() {
  std::vector<std::string> env;
  for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) {
      env.push_back(std::string(name) + "=" + value);
    }
  }
  return env;
}

class RotatingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Start("rotating_service");
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    pg_ = std::move(cluster).value();
    auto redis = RedisServer::Start(
        kRedisAdminPassword, {std::string("user app on >") + kRedisPassword1 + " ~* &* +@all"});
    ASSERT_TRUE(redis.ok()) << redis.error().ToString();
    redis_ = std::move(redis).value();

    const std::string dsn = pg_->Dsn();
    const json db_secret = {{"username", "postgres"},
                            {"password", kDbPassword},
                            {"host", DsnField(dsn, "host")},
                            {"port", std::stoi(DsnField(dsn, "port"))},
                            {"dbname", pg_->database()}};
    Cli({"put", "database-password"}, db_secret.dump());
    Cli({"put", "redis-password"}, json{{"username", "app"}, {"password", kRedisPassword1}}.dump());
    Cli({"rotate", "jwt-secret"});
    Cli({"rotate", "db-encryption-key"});
  }

  void TearDown() override {
    std::vector<std::string> captured = captured_;
    for (auto& service : services_) {
      service->Signal(SIGTERM);
      ProcessResult result = service->Finish();
      EXPECT_EQ(result.exit_code, 0) << result.err;
      captured.push_back(result.out);
      captured.push_back(result.err);
    }
    std::vector<std::string> needles = {kDbPassword,     kRedisPassword1,     kRedisPassword2,
                                        kRedisPassword3, kRedisAdminPassword, kAppDbPassword1,
                                        kAppDbPassword2};
    for (const std::string& key : key_material_) {
      needles.push_back(key);
    }
    const std::size_t scanned = testing::ExpectNoNeedleLeaked(captured, needles);
    if (!services_.empty()) {
      EXPECT_GT(scanned, 0u);
    }
  }

  std::vector<std::string> StoreEnv() const {
    std::vector<std::string> env = SanitizerEnv();
    env.push_back("HOME=" + dir_.path().string());
    env.push_back("SECRETS_BACKEND=local");
    env.push_back("LOCKSMITH_STORE=" + (dir_.path() / "data" / "secrets.db").string());
    env.push_back("LOCKSMITH_MASTER_KEY_FILE=" + (dir_.path() / "keys" / "master.key").string());
    return env;
  }

  ProcessResult RunCli(std::vector<std::string> args, std::optional<std::string> input = {}) {
    args.insert(args.begin(), kCliPath);
    ChildProcess child(args, StoreEnv());
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    return child.Finish();
  }

  // A command whose output joins the leak scan; returns its stdout without the newline.
  std::string Cli(std::vector<std::string> args, std::optional<std::string> input = {}) {
    ProcessResult result = RunCli(args, std::move(input));
    EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    while (!result.out.empty() && result.out.back() == '\n') {
      result.out.pop_back();
    }
    return result.out;
  }

  // The current value of a key secret (`get`'s output is not scanned), kept as a needle.
  void RememberKeyMaterial(const std::string& name) {
    ProcessResult get = RunCli({"get", name});
    ASSERT_EQ(get.exit_code, 0) << get.err;
    while (!get.out.empty() && get.out.back() == '\n') {
      get.out.pop_back();
    }
    ASSERT_GE(get.out.size(), 32u);
    key_material_.push_back(get.out);
  }

  // Starts the service with the cache TTL given; returns its port (0 on failure).
  int StartService(const std::string& cache_ttl) {
    std::vector<std::string> env = StoreEnv();
    env.push_back("LOCKSMITH_CACHE_TTL=" + cache_ttl);
    env.push_back("LOCKSMITH_CACHE_TTL_JITTER=0");
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{kServicePath, "--listen=127.0.0.1:0",
                                 "--redis-socket=" + redis_->socket().string(), "--threads=2",
                                 "--pg-pool-size=2"},
        env);
    EXPECT_TRUE(child->started());
    const bool up = child->WaitForStdout("\n", kBound);
    EXPECT_TRUE(up) << child->err_so_far();
    const std::string& out = child->out_so_far();
    EXPECT_THAT(out, StartsWith("listening on 127.0.0.1:")) << child->err_so_far();
    int port = 0;
    if (up && out.rfind("listening on 127.0.0.1:", 0) == 0) {
      port = std::stoi(out.substr(std::string("listening on 127.0.0.1:").size()));
    }
    services_.push_back(std::move(child));
    return port;
  }

  // One request; the answer's JSON (null when there was no answer), its status in *status.
  json Call(HttpClient& client, const std::string& method, const std::string& path,
            const std::string& body = "", const std::string& token = "", int* status = nullptr) {
    testing::HttpHeaders headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token);
    }
    auto response = client.Send(method, path, headers, body);
    if (!response) {
      ADD_FAILURE() << method << " " << path << ": no answer";
      return nullptr;
    }
    captured_.push_back(response->body);
    if (status != nullptr) {
      *status = response->status;
    }
    json doc = json::parse(response->body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << path;
    return doc;
  }

  json Ok(HttpClient& client, const std::string& method, const std::string& path,
          const std::string& body = "", const std::string& token = "", int expected = 200) {
    int status = 0;
    json doc = Call(client, method, path, body, token, &status);
    EXPECT_EQ(status, expected) << method << " " << path << " -> " << doc.dump();
    return doc;
  }

  // Waits (within kBound) for the service to log that it took `version` of `name`: the service
  // notices a rotation by its own background refresh, on a real clock.
  bool WaitForRotation(const std::string& name, const std::string& version) {
    return services_.back()->WaitForStderr("secret '" + name + "' is now at version " + version,
                                           kBound);
  }

  std::string StoredCiphertext(std::int64_t id) {
    pqxx::connection conn(pg_->Dsn());
    pqxx::read_transaction tx(conn);
    return tx.exec_params1("SELECT encrypted_email FROM users WHERE id = $1", id)[0]
        .as<std::string>();
  }

  TempDir dir_;
  std::unique_ptr<PostgresCluster> pg_;
  std::unique_ptr<RedisServer> redis_;
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<std::string> captured_;
  std::vector<std::string> key_material_;
};

TEST_F(RotatingServiceTest, ServesEveryEndpointAndLivesThroughKeyRotations) {
  RememberKeyMaterial("jwt-secret");
  RememberKeyMaterial("db-encryption-key");
  const int port = StartService("1s");
  ASSERT_GT(port, 0);
  const pid_t pid = services_.back()->pid();
  HttpClient client("127.0.0.1", port);

  json health = Ok(client, "GET", "/healthz");
  EXPECT_EQ(health["pid"], pid);
  const std::string old_key_id = health["encryption_key_id"];

  // Endpoints.
  json alice = Ok(client, "POST", "/users", R"({"email":"alice@example.com"})", "", 201);
  const std::int64_t alice_id = alice["id"];
  EXPECT_THAT(StoredCiphertext(alice_id), StartsWith("ls1:" + old_key_id + ":"));
  const std::string old_token =
      Ok(client, "POST", "/login", json{{"user_id", alice_id}}.dump())["token"];
  json me = Ok(client, "GET", "/me", "", old_token);
  EXPECT_EQ(me["id"], alice_id);
  EXPECT_EQ(me["email"], "alice@example.com");
  EXPECT_EQ(Ok(client, "POST", "/count")["count"], 1);
  EXPECT_EQ(Ok(client, "POST", "/count")["count"], 2);

  // Errors are JSON with a code.
  int status = 0;
  EXPECT_EQ(Call(client, "GET", "/me", "", "", &status)["error"]["code"], "unauthenticated");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Call(client, "GET", "/me", "", old_token + "x", &status)["error"]["code"],
            "invalid_token");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Call(client, "POST", "/users", "{", "", &status)["error"]["code"], "bad_request");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(Call(client, "POST", "/login", R"({"user_id":999999})", "", &status)["error"]["code"],
            "user_not_found");
  EXPECT_EQ(status, 404);
  EXPECT_EQ(Call(client, "GET", "/users", "", "", &status)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(Call(client, "GET", "/nope", "", "", &status)["error"]["code"], "not_found");
  EXPECT_EQ(Call(client, "POST", "/users", std::string(20000, 'x'), "", &status)["error"]["code"],
            "too_large");
  EXPECT_EQ(status, 413);
  HttpClient fresh("127.0.0.1", port);  // the server closed the connection after the 413

  // jwt-secret rotation: the new key joins the verifying set; the old token still verifies.
  const std::string jwt_version = Cli({"rotate", "jwt-secret"});
  RememberKeyMaterial("jwt-secret");
  ASSERT_TRUE(WaitForRotation("jwt-secret", jwt_version)) << services_.back()->err_so_far();
  EXPECT_THAT(Ok(fresh, "GET", "/healthz")["jwt_verifying_kids"], Contains(jwt_version));
  EXPECT_EQ(Ok(fresh, "GET", "/me", "", old_token)["email"], "alice@example.com");
  const std::string new_token =
      Ok(fresh, "POST", "/login", json{{"user_id", alice_id}}.dump())["token"];
  EXPECT_EQ(Ok(fresh, "GET", "/me", "", new_token)["id"], alice_id);

  // db-encryption-key rotation: old rows still decrypt, new rows use the new key id.
  const std::string key_version = Cli({"rotate", "db-encryption-key"});
  RememberKeyMaterial("db-encryption-key");
  const std::string new_key_id = EncryptionKeyId(key_version);
  ASSERT_NE(new_key_id, old_key_id);
  ASSERT_TRUE(WaitForRotation("db-encryption-key", key_version)) << services_.back()->err_so_far();
  EXPECT_EQ(Ok(fresh, "GET", "/healthz")["encryption_key_id"], new_key_id);
  EXPECT_EQ(Ok(fresh, "GET", "/me", "", old_token)["email"], "alice@example.com");
  json bob = Ok(fresh, "POST", "/users", R"({"email":"bob@example.com"})", "", 201);
  const std::int64_t bob_id = bob["id"];
  EXPECT_THAT(StoredCiphertext(bob_id), StartsWith("ls1:" + new_key_id + ":"));
  EXPECT_THAT(StoredCiphertext(alice_id), StartsWith("ls1:" + old_key_id + ":"));
  const std::string bob_token =
      Ok(fresh, "POST", "/login", json{{"user_id", bob_id}}.dump())["token"];
  EXPECT_EQ(Ok(fresh, "GET", "/me", "", bob_token)["email"], "bob@example.com");

  // redis-password rotation as Redis's protocol does it: the new password beside the old, the
  // secret promoted, the old password removed; the service follows by subscription.
  EXPECT_EQ(RedisCommand(redis_->socket().string(), "admin", kRedisAdminPassword,
                         {"ACL", "SETUSER", "app", std::string(">") + kRedisPassword2}),
            "OK");
  Cli({"put", "redis-password"}, json{{"username", "app"}, {"password", kRedisPassword2}}.dump());
  ASSERT_TRUE(services_.back()->WaitForStderr("redis credential changed", kBound))
      << services_.back()->err_so_far();
  EXPECT_EQ(Ok(fresh, "POST", "/count")["count"], 3);
  EXPECT_EQ(RedisCommand(redis_->socket().string(), "admin", kRedisAdminPassword,
                         {"ACL", "SETUSER", "app", std::string("<") + kRedisPassword1}),
            "OK");
  // Dropped connections are reopened with the new password.
  EXPECT_THAT(RedisCommand(redis_->socket().string(), "admin", kRedisAdminPassword,
                           {"CLIENT", "KILL", "USER", "app"}),
              HasSubstr("(integer)"));
  EXPECT_EQ(Ok(fresh, "POST", "/count")["count"], 4);

  EXPECT_EQ(Ok(fresh, "GET", "/healthz")["pid"], pid);
  EXPECT_EQ(services_.back()->pid(), pid);
}

// The single-user case: the password changes in the server before the service's cache sees the
// new version (a long cache TTL here). The service is refused (WRONGPASS), reads the secret again
// once, reconnects and the request succeeds.
TEST_F(RotatingServiceTest, RedisRefusalRefreshesTheSecretAndRetriesOnce) {
  const int port = StartService("1h");
  ASSERT_GT(port, 0);
  const pid_t pid = services_.back()->pid();
  HttpClient client("127.0.0.1", port);
  EXPECT_EQ(Ok(client, "POST", "/count")["count"], 1);

  EXPECT_EQ(
      RedisCommand(redis_->socket().string(), "admin", kRedisAdminPassword,
                   {"ACL", "SETUSER", "app", "resetpass", std::string(">") + kRedisPassword3}),
      "OK");
  Cli({"put", "redis-password"}, json{{"username", "app"}, {"password", kRedisPassword3}}.dump());
  EXPECT_THAT(RedisCommand(redis_->socket().string(), "admin", kRedisAdminPassword,
                           {"CLIENT", "KILL", "USER", "app"}),
              HasSubstr("(integer)"));

  EXPECT_EQ(Ok(client, "POST", "/count")["count"], 2);
  EXPECT_TRUE(services_.back()->WaitForStderr("redis refused the credential", kBound))
      << services_.back()->err_so_far();
  EXPECT_EQ(Ok(client, "GET", "/healthz")["pid"], pid);
}

// The example serves loopback clients only: any other listen address is refused at start.
TEST_F(RotatingServiceTest, RefusesANonLoopbackListenAddress) {
  std::vector<std::string> env = StoreEnv();
  ChildProcess child(
      {kServicePath, "--listen=0.0.0.0:0", "--redis-socket=" + redis_->socket().string()}, env);
  ASSERT_TRUE(child.started());
  // Returns at the child's exit (its pipes close); stops it if it listened after all.
  EXPECT_FALSE(child.WaitForStdout("listening on", kBound));
  child.Signal(SIGTERM);
  ProcessResult result = child.Finish();
  captured_.push_back(result.out);
  captured_.push_back(result.err);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("is not a loopback address"));
}

// The same for PostgreSQL's single-user strategy: role `app` with a password (the throwaway
// cluster is switched from trust to scram-sha-256 for every role but the test's superuser), the
// password changed in the server and the new version stored while the service still caches the
// old one, the service's sessions terminated. The next request is refused (28P01), reads the
// secret again once, rebuilds and succeeds.
TEST_F(RotatingServiceTest, DatabaseRefusalRefreshesTheSecretAndRetriesOnce) {
  pqxx::connection admin(pg_->Dsn());
  {
    pqxx::nontransaction tx(admin);
    tx.exec(std::string("CREATE ROLE app LOGIN PASSWORD ") + tx.quote(kAppDbPassword1));
    tx.exec("GRANT CREATE ON SCHEMA public TO app");
  }
  const std::string dsn = pg_->Dsn();
  const std::filesystem::path hba =
      std::filesystem::path(DsnField(dsn, "host")) / "data" / "pg_hba.conf";
  {
    std::ofstream out(hba, std::ios::trunc);
    out << "local all postgres trust\nlocal all all scram-sha-256\n";
  }
  pqxx::nontransaction(admin).exec("SELECT pg_reload_conf()");
  const json secret = {{"username", "app"},
                       {"host", DsnField(dsn, "host")},
                       {"port", std::stoi(DsnField(dsn, "port"))},
                       {"dbname", pg_->database()}};
  json first = secret;
  first["password"] = kAppDbPassword1;
  Cli({"put", "database-password"}, first.dump());

  const int port = StartService("1h");
  ASSERT_GT(port, 0);
  const pid_t pid = services_.back()->pid();
  HttpClient client("127.0.0.1", port);
  Ok(client, "POST", "/users", R"({"email":"carol@example.com"})", "", 201);

  {
    pqxx::nontransaction tx(admin);
    tx.exec(std::string("ALTER ROLE app PASSWORD ") + tx.quote(kAppDbPassword2));
  }
  json second = secret;
  second["password"] = kAppDbPassword2;
  Cli({"put", "database-password"}, second.dump());
  pqxx::nontransaction(admin).exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'");

  json dave = Ok(client, "POST", "/users", R"({"email":"dave@example.com"})", "", 201);
  EXPECT_TRUE(services_.back()->WaitForStderr("database refused the credential", kBound))
      << services_.back()->err_so_far();
  const std::string token =
      Ok(client, "POST", "/login", json{{"user_id", dave["id"]}}.dump())["token"];
  EXPECT_EQ(Ok(client, "GET", "/me", "", token)["email"], "dave@example.com");
  EXPECT_EQ(Ok(client, "GET", "/healthz")["pid"], pid);
}

}  // namespace
}  // namespace locksmith
