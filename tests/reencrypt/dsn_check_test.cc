#include "reencrypt/dsn_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using testing::HasError;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DsnCheckTest, FindsAPasswordInEveryForm) {
  EXPECT_EQ(*DsnHasPassword("host=/tmp dbname=app user=app"), false);
  EXPECT_EQ(*DsnHasPassword("postgresql://app@db.internal/app"), false);
  EXPECT_EQ(*DsnHasPassword("host=/tmp user=app password=s3cret-PLANTED"), true);
  EXPECT_EQ(*DsnHasPassword("host=/tmp user=app password='s3 cret'"), true);
  EXPECT_EQ(*DsnHasPassword("postgresql://app:s3cret-PLANTED@db.internal/app"), true);
  EXPECT_EQ(*DsnHasPassword("postgres://db.internal/app?user=app&password=s3cret-PLANTED"), true);
  // An empty password is no password.
  EXPECT_EQ(*DsnHasPassword("host=/tmp password=''"), false);
}

TEST(DsnCheckTest, AMalformedDsnIsRefusedWithoutBeingQuoted) {
  auto bad = DsnHasPassword("host=/tmp password='unterminated-PLANTED");
  ASSERT_THAT(bad, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad.error().message, Not(HasSubstr("PLANTED")));
  EXPECT_THAT(DsnHasPassword("no-equals-sign"), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith::internal
