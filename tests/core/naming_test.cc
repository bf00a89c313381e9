#include "locksmith/naming.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "core/logical_name.h"
#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasError;
using testing::IsOk;

TEST(NamingTest, ValidNames) {
  for (const char* n : {"db-encryption-key", "jwt_secret", "rpc/alchemy-api-key", "a.b", "X1"}) {
    EXPECT_THAT(ValidateSecretName(n), IsOk()) << n;
  }
}

TEST(NamingTest, InvalidNames) {
  for (const char* n :
       {"", "/lead", "trail/", "a//b", "sp ace", "semi;colon", "a/../b", ".", "quote'"}) {
    EXPECT_THAT(ValidateSecretName(n), HasError(ErrorCode::kInvalidArgument)) << n;
  }
  EXPECT_THAT(ValidateSecretName(std::string(257, 'a')), HasError(ErrorCode::kInvalidArgument));
}

TEST(NamingTest, ParsesFieldReferences) {
  auto r = ParseSecretRef("database#password");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->name, "database");
  EXPECT_EQ(r->field, "password");
  auto plain = ParseSecretRef("jwt-secret");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->field, "");
  EXPECT_THAT(ParseSecretRef("database#"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSecretRef("database#a#b"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseSecretRef("#field"), HasError(ErrorCode::kInvalidArgument));
}

// Found by fuzz/secret_ref_fuzzer.cc (fuzz/regressions/secret_ref/): a provider given
// "name#<field with control or non-ASCII bytes>" quoted the whole reference raw in its error, so
// the bytes went to the logs as they were, however long.
TEST(NamingTest, LogicalNameErrorQuotesAFieldReferencePrintablyAndShort) {
  const std::string ref = "name#" + std::string(100, 'f') + "\xa4\x99\n\x1b[31m";
  auto checked = internal::ValidateLogicalName(ref);
  ASSERT_THAT(checked, HasError(ErrorCode::kInvalidArgument));
  EXPECT_NE(checked.error().message.find("'name#ffff"), std::string::npos);
  EXPECT_NE(checked.error().message.find("...'"), std::string::npos);  // cut at 64 bytes
  for (char c : checked.error().message) {
    EXPECT_TRUE(std::isprint(static_cast<unsigned char>(c))) << static_cast<int>(c);
  }
  auto short_ref = internal::ValidateLogicalName("db#pass\tword");
  ASSERT_THAT(short_ref, HasError(ErrorCode::kInvalidArgument));
  EXPECT_NE(short_ref.error().message.find("'db#pass?word'"), std::string::npos);
}

TEST(NamingTest, JoinsAndStripsPrefixes) {
  EXPECT_EQ(JoinSecretPath("agentauri-backend/production", "jwt-secret"),
            "agentauri-backend/production/jwt-secret");
  EXPECT_EQ(JoinSecretPath("agentauri-backend/production/", "/jwt-secret"),
            "agentauri-backend/production/jwt-secret");
  EXPECT_EQ(JoinSecretPath("", "jwt-secret"), "jwt-secret");
  EXPECT_EQ(StripSecretPrefix("p/q", "p/q/jwt-secret"), "jwt-secret");
  EXPECT_EQ(StripSecretPrefix("p/q", "p/qq/jwt-secret"), "");
  EXPECT_EQ(StripSecretPrefix("p/q", "p/q"), "");
  EXPECT_EQ(StripSecretPrefix("", "x"), "x");
}

TEST(NamingTest, EnvVarMapping) {
  EXPECT_EQ(EnvVarNameFor("db-encryption-key"), "DB_ENCRYPTION_KEY");
  EXPECT_EQ(EnvVarNameFor("rpc/alchemy.key"), "RPC_ALCHEMY_KEY");
  EXPECT_EQ(SecretNameForEnvVar("DB_ENCRYPTION_KEY"), "db-encryption-key");
}

// The guide's .env names map to the standard names (DB_PASSWORD is database-password), any case;
// every standard secret's canonical variable comes first, and no alias belongs to two names.
TEST(NamingTest, StandardSecretsAndTheirDotenvAliases) {
  EXPECT_EQ(SecretNameForDotenvVariable("DB_PASSWORD"), "database-password");
  EXPECT_EQ(SecretNameForDotenvVariable("db_password"), "database-password");
  EXPECT_EQ(SecretNameForDotenvVariable("DATABASE_PASSWORD"), "database-password");
  EXPECT_EQ(SecretNameForDotenvVariable("JWT_SECRET"), "jwt-secret");
  EXPECT_EQ(SecretNameForDotenvVariable("ALCHEMY_API_KEY"), "alchemy-api-key");
  EXPECT_EQ(SecretNameForDotenvVariable("STRIPE_KEY"), "stripe-key");  // not standard
  EXPECT_THAT(DotenvVariablesFor("database-password"),
              ::testing::ElementsAre("DATABASE_PASSWORD", "DB_PASSWORD", "POSTGRES_PASSWORD"));
  EXPECT_THAT(DotenvVariablesFor("stripe-key"), ::testing::ElementsAre("STRIPE_KEY"));
  ASSERT_NE(FindStandardSecret("redis-password"), nullptr);
  EXPECT_EQ(FindStandardSecret("redis"), nullptr);
  std::set<std::string_view> seen;
  for (const StandardSecret& secret : StandardSecrets()) {
    EXPECT_TRUE(ValidateSecretName(secret.name).ok());
    ASSERT_FALSE(secret.env_vars.empty());
    EXPECT_EQ(secret.env_vars.front(), EnvVarNameFor(secret.name));
    for (std::string_view variable : secret.env_vars) {
      EXPECT_TRUE(seen.insert(variable).second) << variable;
      EXPECT_EQ(SecretNameForDotenvVariable(variable), secret.name);
    }
  }
}

TEST(NamingTest, ExtractsJsonFieldsWithoutEchoingTheValue) {
  SecretValue doc(R"({"username":"app","password":"hunter2-planted","port":5432})");
  auto pw = ExtractJsonField(doc, "password");
  ASSERT_THAT(pw, IsOk());
  EXPECT_EQ(pw->RevealUnsafe(), "hunter2-planted");
  auto port = ExtractJsonField(doc, "port");
  ASSERT_THAT(port, IsOk());
  EXPECT_EQ(port->RevealUnsafe(), "5432");
  auto missing = ExtractJsonField(doc, "host");
  EXPECT_THAT(missing, HasError(ErrorCode::kNotFound));
  EXPECT_EQ(missing.error().message.find("hunter2"), std::string::npos);

  SecretValue not_json("planted-not-json {");
  auto bad = ExtractJsonField(not_json, "password");
  EXPECT_THAT(bad, HasError(ErrorCode::kInvalidArgument));
  EXPECT_EQ(bad.error().message.find("planted"), std::string::npos);
}

}  // namespace
}  // namespace locksmith
