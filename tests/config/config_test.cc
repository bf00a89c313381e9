#include "locksmith/config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "locksmith/testing/fake_env.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::IsOk;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

// A valid master key (base64 of 32 bytes), planted: it must never reach an error.
constexpr char kPlantedMasterKey[] = "cGxhbnRlZC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=";

using Env = testing::FakeEnv;

// Loads and expects an error naming `variable`; returns the message.
std::string ExpectRejected(const Env& env, std::string_view variable) {
  auto c = env.Load();
  EXPECT_THAT(c, HasError(ErrorCode::kInvalidArgument)) << variable;
  if (c.ok()) {
    return "";
  }
  EXPECT_THAT(c.error().message, HasSubstr(std::string(variable)));
  return c.error().message;
}

TEST(BackendNameTest, Names) {
  EXPECT_EQ(BackendName(Backend::kLocal), "local");
  EXPECT_EQ(BackendName(Backend::kDotenv), "dotenv");
  EXPECT_EQ(BackendName(Backend::kVault), "vault");
  EXPECT_EQ(BackendName(Backend::kAws), "aws");
}

TEST(LoadConfigTest, Defaults) {
  auto c = Env().Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->backend, Backend::kLocal);
  const SecretsManagerOptions defaults;
  EXPECT_EQ(c->manager.cache.ttl, defaults.cache.ttl);
  EXPECT_EQ(c->manager.cache.ttl_jitter, defaults.cache.ttl_jitter);
  EXPECT_EQ(c->manager.cache.refresh_ahead, defaults.cache.refresh_ahead);
  EXPECT_EQ(c->manager.cache.max_staleness, defaults.cache.max_staleness);
  EXPECT_EQ(c->manager.retry.max_attempts, defaults.retry.max_attempts);
  EXPECT_EQ(c->manager.retry.base_delay, defaults.retry.base_delay);
  EXPECT_EQ(c->manager.retry.max_delay, defaults.retry.max_delay);
  EXPECT_EQ(c->manager.breaker.failure_threshold, defaults.breaker.failure_threshold);
  EXPECT_EQ(c->manager.breaker.open_duration, defaults.breaker.open_duration);
  EXPECT_EQ(c->local.store_path, DefaultLocalStorePath());
  EXPECT_FALSE(c->local.master_key_base64.has_value());
  EXPECT_EQ(c->local.master_key_file, DefaultLocalStorePath().parent_path() / "master.key");
  EXPECT_EQ(c->dotenv.file, ".env");
  EXPECT_TRUE(c->dotenv.use_process_env);
  EXPECT_FALSE(c->dotenv.allow_in_production);
  EXPECT_EQ(c->dotenv.app_env, "");
  EXPECT_EQ(c->aws.region, "");
  EXPECT_EQ(c->vault.addr, "");
  EXPECT_FALSE(c->vault.secret_id.has_value());
}

TEST(LoadConfigTest, NullLookupGivesDefaults) {
  auto c = LoadConfig(EnvLookup());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->backend, Backend::kLocal);
}

TEST(LoadConfigTest, EmptyValuesCountAsUnset) {
  auto c = Env().Set("SECRETS_BACKEND", "").Set("LOCKSMITH_CACHE_TTL", "  ").Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->backend, Backend::kLocal);
  EXPECT_EQ(c->manager.cache.ttl, CacheOptions().ttl);
}

TEST(LoadConfigTest, Backends) {
  for (auto [text, backend] : {std::pair{"local", Backend::kLocal},
                               {"dotenv", Backend::kDotenv},
                               {"DOTENV", Backend::kDotenv},
                               {"vault", Backend::kVault},
                               {"aws", Backend::kAws}}) {
    auto c = Env()
                 .Set("SECRETS_BACKEND", text)
                 .Set("VAULT_ADDR", "https://vault:8200")
                 .Set("AWS_REGION", "us-east-1")
                 .Load();
    ASSERT_THAT(c, IsOk()) << text;
    EXPECT_EQ(c->backend, backend) << text;
  }
  std::string message = ExpectRejected(Env().Set("SECRETS_BACKEND", "gcp"), "SECRETS_BACKEND");
  EXPECT_THAT(message, HasSubstr("local, dotenv, vault, aws"));
  EXPECT_THAT(message, HasSubstr("gcp"));
}

TEST(LoadConfigTest, EnableSecretsManager) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes"}) {
    auto c = Env().Set("ENABLE_SECRETS_MANAGER", yes).Load();
    ASSERT_THAT(c, IsOk()) << yes;
    EXPECT_TRUE(c->enabled);
    EXPECT_EQ(c->backend, Backend::kLocal);
  }
  for (const char* no : {"false", "False", "0", "no", "NO"}) {
    // Off means the .env setup, whatever SECRETS_BACKEND says (and its rules do not apply).
    auto c = Env().Set("ENABLE_SECRETS_MANAGER", no).Set("SECRETS_BACKEND", "vault").Load();
    ASSERT_THAT(c, IsOk()) << no;
    EXPECT_FALSE(c->enabled);
    EXPECT_EQ(c->backend, Backend::kDotenv);
  }
  std::string message =
      ExpectRejected(Env().Set("ENABLE_SECRETS_MANAGER", "maybe"), "ENABLE_SECRETS_MANAGER");
  EXPECT_THAT(message, HasSubstr("true, false, 1, 0, yes or no"));
}

TEST(LoadConfigTest, Aws) {
  auto c = Env()
               .Set("SECRETS_BACKEND", "aws")
               .Set("AWS_REGION", "eu-west-1")
               .Set("AWS_DEFAULT_REGION", "us-east-1")
               .Set("AWS_SECRETS_PREFIX", "agentauri-backend/production/")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->aws.region, "eu-west-1");
  EXPECT_EQ(c->aws.prefix, "agentauri-backend/production");
  auto fallback = Env().Set("SECRETS_BACKEND", "aws").Set("AWS_DEFAULT_REGION", "us-east-2").Load();
  ASSERT_THAT(fallback, IsOk());
  EXPECT_EQ(fallback->aws.region, "us-east-2");
  // No region in the environment: the profile may have one (CreateAwsProvider reads it and
  // reports "no AWS region" when there is none anywhere: tests/config/aws_config_test.cc).
  auto no_region = Env().Set("SECRETS_BACKEND", "aws").Load();
  ASSERT_THAT(no_region, IsOk());
  EXPECT_EQ(no_region->aws.region, "");
  EXPECT_FALSE(no_region->aws.allow_plain_http);
  ExpectRejected(Env().Set("AWS_REGION", "US East 1"), "AWS_REGION");
  ExpectRejected(Env().Set("AWS_DEFAULT_REGION", "us_east;1"), "AWS_DEFAULT_REGION");
}

TEST(LoadConfigTest, Vault) {
  auto c = Env()
               .Set("SECRETS_BACKEND", "vault")
               .Set("VAULT_ADDR", "https://vault.internal:8200")
               .Set("VAULT_MOUNT_PATH", "secret/agentauri-backend/production")
               .Set("VAULT_ROLE_ID", "role-123")
               .Set("VAULT_SECRET_ID", "planted-vault-secret-id")
               .Set("VAULT_NAMESPACE", "team-a")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->vault.addr, "https://vault.internal:8200");
  EXPECT_EQ(c->vault.mount_path, "secret/agentauri-backend/production");
  EXPECT_EQ(c->vault.role_id, "role-123");
  ASSERT_TRUE(c->vault.secret_id.has_value());
  EXPECT_TRUE(c->vault.secret_id->Equals("planted-vault-secret-id"));
  EXPECT_EQ(c->vault.namespace_, "team-a");

  ExpectRejected(Env().Set("SECRETS_BACKEND", "vault"), "VAULT_ADDR");
  ExpectRejected(Env().Set("VAULT_ADDR", "vault.internal:8200"), "VAULT_ADDR");
  std::string message = ExpectRejected(Env()
                                           .Set("SECRETS_BACKEND", "vault")
                                           .Set("VAULT_ADDR", "http://127.0.0.1:8200")
                                           .Set("VAULT_SECRET_ID", "planted-vault-secret-id"),
                                       "VAULT_ROLE_ID");
  EXPECT_THAT(message, Not(HasSubstr("planted")));
  ExpectRejected(Env()
                     .Set("SECRETS_BACKEND", "vault")
                     .Set("VAULT_ADDR", "http://127.0.0.1:8200")
                     .Set("VAULT_ROLE_ID", "role"),
                 "VAULT_SECRET_ID");
}

TEST(LoadConfigTest, RuntimeSettings) {
  auto c = Env()
               .Set("LOCKSMITH_CACHE_TTL", "300s")
               .Set("LOCKSMITH_CACHE_TTL_JITTER", "0.25")
               .Set("LOCKSMITH_REFRESH_AHEAD", "0.9")
               .Set("LOCKSMITH_MAX_STALENESS", "2h")
               .Set("LOCKSMITH_RETRY_MAX_ATTEMPTS", "5")
               .Set("LOCKSMITH_RETRY_BASE_DELAY", "250ms")
               .Set("LOCKSMITH_RETRY_MAX_DELAY", "10s")
               .Set("LOCKSMITH_BREAKER_FAILURE_THRESHOLD", "7")
               .Set("LOCKSMITH_BREAKER_OPEN_DURATION", "1m")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->manager.cache.ttl, milliseconds(300'000));
  EXPECT_DOUBLE_EQ(c->manager.cache.ttl_jitter, 0.25);
  EXPECT_DOUBLE_EQ(c->manager.cache.refresh_ahead, 0.9);
  EXPECT_EQ(c->manager.cache.max_staleness, std::chrono::hours(2));
  EXPECT_EQ(c->manager.retry.max_attempts, 5);
  EXPECT_EQ(c->manager.retry.base_delay, milliseconds(250));
  EXPECT_EQ(c->manager.retry.max_delay, milliseconds(10'000));
  EXPECT_EQ(c->manager.breaker.failure_threshold, 7);
  EXPECT_EQ(c->manager.breaker.open_duration, std::chrono::minutes(1));

  auto minutes =
      Env().Set("LOCKSMITH_CACHE_TTL", "5m").Set("LOCKSMITH_CACHE_TTL_JITTER", "0").Load();
  ASSERT_THAT(minutes, IsOk());
  EXPECT_EQ(minutes->manager.cache.ttl, std::chrono::minutes(5));
  EXPECT_EQ(minutes->manager.cache.ttl_jitter, 0.0);
}

TEST(LoadConfigTest, RangeEdgesAreAccepted) {
  auto c = Env()
               .Set("LOCKSMITH_CACHE_TTL_JITTER", "0.5")
               .Set("LOCKSMITH_REFRESH_AHEAD", "0.5")
               .Set("LOCKSMITH_RETRY_MAX_ATTEMPTS", "10")
               .Set("LOCKSMITH_BREAKER_FAILURE_THRESHOLD", "1")
               .Set("LOCKSMITH_MAX_STALENESS", "5m")     // equal to the default TTL
               .Set("LOCKSMITH_RETRY_BASE_DELAY", "5s")  // equal to the default max delay
               .Load();
  ASSERT_THAT(c, IsOk());
  auto top =
      Env().Set("LOCKSMITH_REFRESH_AHEAD", "0.95").Set("LOCKSMITH_RETRY_MAX_ATTEMPTS", "1").Load();
  ASSERT_THAT(top, IsOk());
  EXPECT_DOUBLE_EQ(top->manager.cache.refresh_ahead, 0.95);
  EXPECT_EQ(top->manager.retry.max_attempts, 1);
}

TEST(LoadConfigTest, MalformedValuesNameTheVariable) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"LOCKSMITH_CACHE_TTL", {"5x", "abc", "-5s", "0s", "5 m"}},
      {"LOCKSMITH_CACHE_TTL_JITTER", {"0.6", "-0.1", "abc", "nan", "0.1x", "1e9"}},
      {"LOCKSMITH_REFRESH_AHEAD", {"0.4", "0.96", "1", "x", "inf"}},
      {"LOCKSMITH_MAX_STALENESS", {"forever", "0", "1y"}},
      {"LOCKSMITH_RETRY_MAX_ATTEMPTS", {"0", "11", "-1", "3.5", "three", "99999999999"}},
      {"LOCKSMITH_RETRY_BASE_DELAY", {"fast", "1.5s"}},
      {"LOCKSMITH_RETRY_MAX_DELAY", {"slow", "s"}},
      {"LOCKSMITH_BREAKER_FAILURE_THRESHOLD", {"0", "-3", "x", "1001"}},
      {"LOCKSMITH_BREAKER_OPEN_DURATION", {"0s", "later"}},
      {"LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION", {"sure", "2"}},
      {"ENABLE_SECRETS_MANAGER", {"on?", "10"}},
      {"SECRETS_BACKEND", {"consul", "local,aws"}},
  };
  for (const auto& [variable, values] : cases) {
    for (const auto& value : values) {
      SCOPED_TRACE(variable + "=" + value);
      std::string message = ExpectRejected(Env().Set(variable, value), variable);
      EXPECT_THAT(message, HasSubstr("expected"));
    }
  }
}

TEST(LoadConfigTest, DurationErrorsShowTheForm) {
  std::string message =
      ExpectRejected(Env().Set("LOCKSMITH_CACHE_TTL", "5x"), "LOCKSMITH_CACHE_TTL");
  EXPECT_THAT(message, HasSubstr("300s"));
  EXPECT_THAT(message, HasSubstr("5m"));
}

TEST(LoadConfigTest, CrossFieldRules) {
  std::string staleness =
      ExpectRejected(Env().Set("LOCKSMITH_CACHE_TTL", "10m").Set("LOCKSMITH_MAX_STALENESS", "5m"),
                     "LOCKSMITH_MAX_STALENESS");
  EXPECT_THAT(staleness, HasSubstr("LOCKSMITH_CACHE_TTL"));
  // The default max staleness (1h) against a longer TTL.
  ExpectRejected(Env().Set("LOCKSMITH_CACHE_TTL", "2h"), "LOCKSMITH_MAX_STALENESS");
  std::string delays = ExpectRejected(
      Env().Set("LOCKSMITH_RETRY_BASE_DELAY", "2s").Set("LOCKSMITH_RETRY_MAX_DELAY", "1s"),
      "LOCKSMITH_RETRY_BASE_DELAY");
  EXPECT_THAT(delays, HasSubstr("LOCKSMITH_RETRY_MAX_DELAY"));
}

TEST(LoadConfigTest, ReportsEveryProblemAtOnce) {
  std::string message =
      ExpectRejected(Env().Set("LOCKSMITH_CACHE_TTL", "x").Set("LOCKSMITH_RETRY_MAX_ATTEMPTS", "0"),
                     "LOCKSMITH_CACHE_TTL");
  EXPECT_THAT(message, HasSubstr("LOCKSMITH_RETRY_MAX_ATTEMPTS"));
}

TEST(LoadConfigTest, LocalStore) {
  auto c = Env()
               .Set("LOCKSMITH_STORE", "/var/lib/svc/secrets.db")
               .Set("LOCKSMITH_MASTER_KEY_FILE", "/run/keys/locksmith.key")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->local.store_path, "/var/lib/svc/secrets.db");
  EXPECT_EQ(c->local.master_key_file, "/run/keys/locksmith.key");
  EXPECT_FALSE(c->local.master_key_base64.has_value());

  auto next_to_store = Env().Set("LOCKSMITH_STORE", "/var/lib/svc/secrets.db").Load();
  ASSERT_THAT(next_to_store, IsOk());
  EXPECT_EQ(next_to_store->local.master_key_file, "/var/lib/svc/master.key");

  auto with_key = Env().Set("LOCKSMITH_MASTER_KEY", kPlantedMasterKey).Load();
  ASSERT_THAT(with_key, IsOk());
  ASSERT_TRUE(with_key->local.master_key_base64.has_value());
  EXPECT_TRUE(with_key->local.master_key_base64->Equals(kPlantedMasterKey));
  EXPECT_TRUE(with_key->local.master_key_file.empty());
}

TEST(LoadConfigTest, MasterKeyErrorsNeverShowTheKey) {
  for (const char* bad : {"planted-not-base64!!", "cGxhbnRlZA==" /* 7 bytes */}) {
    std::string message =
        ExpectRejected(Env().Set("LOCKSMITH_MASTER_KEY", bad), "LOCKSMITH_MASTER_KEY");
    EXPECT_THAT(message, Not(HasSubstr(bad)));
    EXPECT_THAT(message, Not(HasSubstr("planted")));
    EXPECT_THAT(message, HasSubstr("base64 of 32 bytes"));
  }
  std::string both = ExpectRejected(
      Env().Set("LOCKSMITH_MASTER_KEY", kPlantedMasterKey).Set("LOCKSMITH_MASTER_KEY_FILE", "/k"),
      "LOCKSMITH_MASTER_KEY_FILE");
  EXPECT_THAT(both, Not(HasSubstr(kPlantedMasterKey)));
}

TEST(LoadConfigTest, SecretValuesNeverInErrorText) {
  // Every secret-bearing variable planted, plus enough broken settings to produce many errors.
  auto c = Env()
               .Set("SECRETS_BACKEND", "vault")
               .Set("VAULT_SECRET_ID", "planted-secret-id-1")
               .Set("VAULT_TOKEN", "planted-token-2")
               .Set("LOCKSMITH_MASTER_KEY", "planted-master-key-3")
               .Set("LOCKSMITH_MASTER_KEY_FILE", "/k")
               .Set("LOCKSMITH_CACHE_TTL", "bad")
               .Load();
  ASSERT_THAT(c, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(c.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT(c.error().message, HasSubstr("VAULT_ADDR"));
}

TEST(LoadConfigTest, Dotenv) {
  auto c = Env()
               .Set("ENABLE_SECRETS_MANAGER", "false")
               .Set("LOCKSMITH_DOTENV_FILE", "/srv/app/.env.local")
               .Set("LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION", "yes")
               .Set("APP_ENV", "production")
               .Load();
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->backend, Backend::kDotenv);
  EXPECT_EQ(c->dotenv.file, "/srv/app/.env.local");
  EXPECT_TRUE(c->dotenv.allow_in_production);
  EXPECT_EQ(c->dotenv.app_env, "production");
}

}  // namespace
}  // namespace locksmith
