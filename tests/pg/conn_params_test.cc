#include "pg/conn_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using ::testing::Not;

// The values as PQconnectdbParams reads them: keyword -> value.
std::string ParamValue(const PgConnParams& params, const char* keyword) {
  const auto keywords = params.Keywords();
  const auto values = params.Values();
  for (std::size_t i = 0; keywords[i] != nullptr; ++i) {
    if (std::strcmp(keywords[i], keyword) == 0) {
      return values[i];
    }
  }
  return "(unset)";
}

TEST(PgConnParamsTest, ParsesKeyValueAndUriForms) {
  auto kv = PgConnParams::Parse(SecretValue("host=/tmp/x port=5433 dbname=app user=admin"));
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->Get("host"), "/tmp/x");
  EXPECT_EQ(ParamValue(*kv, "port"), "5433");
  EXPECT_EQ(ParamValue(*kv, "password"), "(unset)");

  auto uri = PgConnParams::Parse(SecretValue("postgresql://admin:pw%20x@db.internal:6000/app"));
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->Get("host"), "db.internal");
  EXPECT_EQ(uri->Get("user"), "admin");
  EXPECT_EQ(uri->Get("password"), "pw x");
  EXPECT_EQ(uri->Get("dbname"), "app");
}

TEST(PgConnParamsTest, SetReplacesByKeywordWithoutReparsing) {
  auto params = PgConnParams::Parse(SecretValue("host=/tmp user=admin password=old"));
  ASSERT_TRUE(params.ok());
  // A value that would change a DSN's meaning if pasted into one stays one value.
  params->Set("password", "new' host=evil.example");
  params->Set("user", "app");
  params->SetDefault("connect_timeout", "10");
  params->SetDefault("host", "/elsewhere");
  EXPECT_EQ(ParamValue(*params, "password"), "new' host=evil.example");
  EXPECT_EQ(ParamValue(*params, "user"), "app");
  EXPECT_EQ(ParamValue(*params, "host"), "/tmp");
  EXPECT_EQ(ParamValue(*params, "connect_timeout"), "10");

  PgConnParams copy = params->Clone();
  params->Set("user", "other");
  EXPECT_EQ(copy.Get("user"), "app");
}

TEST(PgConnParamsTest, AMalformedDsnIsRefusedWithoutBeingQuoted) {
  auto bad = PgConnParams::Parse(SecretValue("host=/tmp password='unterminated-PLANTED"));
  ASSERT_THAT(bad, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad.error().message, Not(HasSubstr("PLANTED")));
  EXPECT_THAT(PgConnParams::Parse(SecretValue("no-equals-sign")),
              HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PgConnParams::Parse(SecretValue("nosuchkeyword=1")),
              HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith::internal
