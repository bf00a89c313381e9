#include "rotation/postgres/role_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using testing::HasError;

TEST(PgRoleNamesTest, AlternatesBetweenTheRoleAndItsClone) {
  EXPECT_EQ(*AlternateRole("app", "_clone"), "app_clone");
  EXPECT_EQ(*AlternateRole("app_clone", "_clone"), "app");
  // The suffix alone is a name, not a clone of "".
  EXPECT_EQ(*AlternateRole("_clone", "_clone"), "_clone_clone");
  EXPECT_EQ(CloneBase("app_clone", "_clone"), "app");
  EXPECT_EQ(CloneBase("app", "_clone"), std::nullopt);
  EXPECT_EQ(CloneBase("_clone", "_clone"), std::nullopt);
}

TEST(PgRoleNamesTest, RefusesNamesPostgresWouldCutOrCannotHold) {
  EXPECT_THAT(AlternateRole("", "_clone"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(AlternateRole("app", ""), HasError(ErrorCode::kInvalidArgument));
  // 60 + 6 bytes: PostgreSQL would silently cut the clone's name to 63.
  EXPECT_THAT(AlternateRole(std::string(60, 'a'), "_clone"), HasError(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(AlternateRole(std::string(57, 'a'), "_clone").ok());
  EXPECT_THAT(CheckRoleName(std::string("a\0b", 3)), HasError(ErrorCode::kInvalidArgument));
}

TEST(PgRoleNamesTest, QuotesOnlyPlainNamesInMessages) {
  EXPECT_EQ(RoleForMessage("app_clone"), "\"app_clone\"");
  EXPECT_EQ(RoleForMessage("app\"; DROP"), "(a role)");
  EXPECT_EQ(RoleForMessage("app\nforged log line"), "(a role)");
}

}  // namespace
}  // namespace locksmith::internal
