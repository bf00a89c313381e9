#include "locksmith/result.h"

#include <gtest/gtest.h>

#include <memory>

#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using testing::HasError;
using testing::IsOk;

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "odd");
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  LOCKSMITH_ASSIGN_OR_RETURN(int h, Half(x));
  LOCKSMITH_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Result<void> CheckEven(int x) {
  LOCKSMITH_RETURN_IF_ERROR(Half(x));
  return OkResult();
}

TEST(ResultTest, ValueAndErrorPaths) {
  EXPECT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), HasError(ErrorCode::kInvalidArgument));
  EXPECT_EQ(Quarter(6).error().message, "odd");
  EXPECT_THAT(CheckEven(2), IsOk());
  EXPECT_THAT(CheckEven(3), HasError(ErrorCode::kInvalidArgument));
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, ErrorToStringAndRetryability) {
  EXPECT_EQ((Error{ErrorCode::kNotFound, "no such secret"}).ToString(),
            "NOT_FOUND: no such secret");
  EXPECT_TRUE(IsRetryable(ErrorCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(ErrorCode::kThrottled));
  EXPECT_TRUE(IsRetryable(ErrorCode::kDeadlineExceeded));
  EXPECT_FALSE(IsRetryable(ErrorCode::kPermissionDenied));
  EXPECT_FALSE(IsRetryable(ErrorCode::kNotFound));
  EXPECT_FALSE(IsRetryable(ErrorCode::kUnauthenticated));
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  EXPECT_DEATH((void)Half(3).value(), "INVALID_ARGUMENT: odd");
}

}  // namespace
}  // namespace locksmith
