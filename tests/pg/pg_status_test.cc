#include "pg/pg_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PgStatusTest, MapsSqlStatesToCodes) {
  EXPECT_EQ(PgErrorFromSqlState("x", "42501").code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(PgErrorFromSqlState("x", "28P01").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(PgErrorFromSqlState("x", "28000").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(PgErrorFromSqlState("x", "08006").code, ErrorCode::kUnavailable);
  EXPECT_EQ(PgErrorFromSqlState("x", "42704").code, ErrorCode::kNotFound);
  EXPECT_EQ(PgErrorFromSqlState("x", "XX000").code, ErrorCode::kInternal);
  EXPECT_THAT(PgErrorFromSqlState("setting", "42501").message,
              HasSubstr("setting: permission denied (SQLSTATE 42501)"));
  EXPECT_THAT(PgErrorFromSqlState("x", "").message, HasSubstr("unknown"));
}

TEST(PgStatusTest, ClassifiesConnectionFailuresWithoutQuotingThem) {
  const Error refused = PgErrorFromConnectionFailure(
      "connecting", "FATAL:  password authentication failed for user \"PLANTED\"");
  EXPECT_EQ(refused.code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(refused.message, Not(HasSubstr("PLANTED")));
  EXPECT_EQ(PgErrorFromConnectionFailure("c", "fe_sendauth: no password supplied").code,
            ErrorCode::kUnauthenticated);
  const Error down = PgErrorFromConnectionFailure(
      "connecting", "could not connect to server: No such file or directory PLANTED");
  EXPECT_EQ(down.code, ErrorCode::kUnavailable);
  EXPECT_THAT(down.message, Not(HasSubstr("PLANTED")));
}

}  // namespace
}  // namespace locksmith::internal
