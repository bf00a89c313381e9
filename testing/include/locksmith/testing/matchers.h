// GMock matchers for Result: EXPECT_THAT(r, IsOk()); EXPECT_THAT(r,
// HasError(ErrorCode::kNotFound)).
#pragma once

#include <gmock/gmock.h>

#include "locksmith/result.h"

namespace locksmith::testing {

MATCHER(IsOk, "is ok") {
  if (arg.ok()) {
    return true;
  }
  *result_listener << "error " << arg.error().ToString();
  return false;
}

MATCHER_P(HasError, code, "fails with " + std::string(::locksmith::ErrorCodeName(code))) {
  if (arg.ok()) {
    *result_listener << "is ok";
    return false;
  }
  *result_listener << "error " << arg.error().ToString();
  return arg.error().code == code;
}

MATCHER_P2(HasErrorMessage, code, substring, "fails with a message containing a substring") {
  if (arg.ok()) {
    *result_listener << "is ok";
    return false;
  }
  *result_listener << "error " << arg.error().ToString();
  return arg.error().code == code && arg.error().message.find(substring) != std::string::npos;
}

}  // namespace locksmith::testing
