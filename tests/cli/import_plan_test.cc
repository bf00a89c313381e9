// Which variables of a .env file `locksmith import` takes for secrets, under which names.
#include "cli/import_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

Result<ImportPlan> PlanOf(std::string_view text, ImportPlanOptions options = {}) {
  auto entries = internal::ParseDotenv(text, ".env");
  EXPECT_THAT(entries, IsOk());
  return PlanImport(std::move(entries).value(), options);
}

std::vector<std::string> SecretNames(const ImportPlan& plan) {
  std::vector<std::string> names;
  for (const PlannedSecret& s : plan.secrets) {
    names.push_back(s.name);
  }
  return names;
}

std::vector<std::string> SkippedNames(const ImportPlan& plan) {
  std::vector<std::string> names;
  for (const SkippedVariable& s : plan.skipped) {
    names.push_back(s.variable.variable);
  }
  return names;
}

TEST(ImportPlanTest, SecretsByStandardNameAliasSuffixAndUrl) {
  auto plan = PlanOf(
      "PORT=8080\nAPP_ENV=development\nSECRETS_BACKEND=local\nVAULT_TOKEN=t\nAWS_SECRET_ACCESS_KEY="
      "a\n"
      "LOCKSMITH_MASTER_KEY=m\nDB_PASSWORD=p\nJWT_SECRET=j\nSTRIPE_API_KEY=s\nGITHUB_TOKEN=g\n"
      "SMTP_PASS=x\nDATABASE_URL=postgres://app:pw@db/app\nREDIS_URL=redis://cache:6379\n"
      "LOG_LEVEL=info\nKEYCLOAK_URL=http://k\n");
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(SecretNames(*plan),
              ::testing::ElementsAre("database-password", "jwt-secret", "stripe-api-key",
                                     "github-token", "smtp-pass", "database-url"));
  EXPECT_THAT(SkippedNames(*plan),
              ::testing::ElementsAre("PORT", "APP_ENV", "SECRETS_BACKEND", "VAULT_TOKEN",
                                     "AWS_SECRET_ACCESS_KEY", "LOCKSMITH_MASTER_KEY", "REDIS_URL",
                                     "LOG_LEVEL", "KEYCLOAK_URL"));
  EXPECT_THAT(plan->skipped[0].reason, HasSubstr("not named like a secret; --only PORT"));
  EXPECT_THAT(plan->skipped[3].reason, HasSubstr("locksmith's own configuration"));
  EXPECT_EQ(SecretReason("db_password", SecretValue("x")), "a standard secret");
  EXPECT_EQ(SecretReason("MONKEY", SecretValue("x")), "");  // a suffix only after '_'
  EXPECT_EQ(SecretReason("PASSWORD", SecretValue("x")), "named like a secret (*_PASSWORD)");
}

TEST(ImportPlanTest, PrefixLinesAndEmptyValues) {
  auto plan = PlanOf("# c\nJWT_SECRET=\"a\nb\"\nREDIS_PASSWORD=\nJWT_SECRET=again\n",
                     {.prefix = "billing/"});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->secrets.size(), 1u);
  EXPECT_EQ(plan->secrets[0].name, "billing/jwt-secret");
  EXPECT_TRUE(plan->secrets[0].value.Equals("again"));  // the last assignment wins
  EXPECT_EQ(DescribeLines(plan->secrets[0].variables[0].lines), "lines 2-3, 5");
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_EQ(plan->skipped[0].reason, "empty value");
  EXPECT_EQ(DescribeLines(plan->skipped[0].variable.lines), "line 4");
  EXPECT_THAT(PlanOf("A_KEY=1\n", {.prefix = "bad//prefix"}),
              HasErrorMessage(ErrorCode::kInvalidArgument, "--prefix"));
}

TEST(ImportPlanTest, AliasesOfOneSecretMergeOrConflict) {
  auto same = PlanOf("DATABASE_PASSWORD=same\nDB_PASSWORD=same\n");
  ASSERT_THAT(same, IsOk());
  ASSERT_EQ(same->secrets.size(), 1u);
  EXPECT_EQ(same->secrets[0].variables.size(), 2u);
  EXPECT_EQ(same->secrets[0].problem, "");

  auto differ = PlanOf("DATABASE_PASSWORD=planted-a\nDB_PASSWORD=planted-b\n");
  ASSERT_THAT(differ, IsOk());
  ASSERT_EQ(differ->secrets.size(), 1u);
  EXPECT_THAT(differ->secrets[0].problem, HasSubstr("DATABASE_PASSWORD and DB_PASSWORD"));
  EXPECT_THAT(differ->secrets[0].problem, Not(HasSubstr("planted")));
}

TEST(ImportPlanTest, OnlyRestrictsAndWidensAndMustMatch) {
  const std::string_view text = "PORT=8080\nDB_PASSWORD=p\nJWT_SECRET=j\nVAULT_TOKEN=t\n";
  auto plan = PlanOf(text, {.only = {"port", "database-password", "VAULT_TOKEN"}});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(SecretNames(*plan),
              ::testing::ElementsAre("port", "database-password", "vault-token"));
  EXPECT_THAT(SkippedNames(*plan), ::testing::ElementsAre("JWT_SECRET"));
  EXPECT_EQ(plan->skipped[0].reason, "not named by --only");
  auto prefixed = PlanOf(text, {.prefix = "app", .only = {"app/jwt-secret"}});
  ASSERT_THAT(prefixed, IsOk());
  EXPECT_THAT(SecretNames(*prefixed), ::testing::ElementsAre("app/jwt-secret"));
  EXPECT_THAT(PlanOf(text, {.only = {"jwt-secret", "no-such-thing"}}),
              HasErrorMessage(ErrorCode::kInvalidArgument, "--only no-such-thing"));
}

}  // namespace
}  // namespace locksmith
