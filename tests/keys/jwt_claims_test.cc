// The JWT claims validator on its own: time claims with leeway, issuer, audience, and the same
// answers from the fast scanner and the DOM fallback.
#include "keys/jwt_claims.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "locksmith/testing/matchers.h"

namespace locksmith::internal {
namespace {

using std::chrono::seconds;
using testing::HasErrorMessage;
using testing::IsOk;

const std::chrono::system_clock::time_point kNow{seconds(1'700'000'000)};

// Reads `claims_json` and checks it at kNow.
Result<void> Check(const std::string& claims_json, const JwtOptions& options = {}) {
  JwtClaimsFields fields;
  std::optional<nlohmann::json> dom;
  LOCKSMITH_RETURN_IF_ERROR(ReadJwtClaims(claims_json, fields, dom));
  return CheckJwtClaims(fields, options, kNow);
}

std::string At(std::int64_t offset) { return std::to_string(1'700'000'000 + offset); }

TEST(JwtClaimsTest, ExpIsRequiredByDefault) {
  EXPECT_THAT(Check("{}"), HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: missing exp"));
  JwtOptions optional_exp;
  optional_exp.require_exp = false;
  EXPECT_THAT(Check("{}", optional_exp), IsOk());
}

TEST(JwtClaimsTest, ExpWithLeeway) {
  JwtOptions options;
  options.leeway = seconds(10);
  EXPECT_THAT(Check(R"({"exp":)" + At(-9) + "}", options), IsOk());
  EXPECT_THAT(Check(R"({"exp":)" + At(-10) + "}", options),
              HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: expired"));
  options.leeway = seconds(0);
  EXPECT_THAT(Check(R"({"exp":)" + At(1) + "}", options), IsOk());
  EXPECT_THAT(Check(R"({"exp":)" + At(0) + "}", options),  // must be before exp
              HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: expired"));
}

TEST(JwtClaimsTest, NbfAndIatWithLeeway) {
  JwtOptions options;
  options.leeway = seconds(10);
  const std::string exp = R"("exp":)" + At(100);
  EXPECT_THAT(Check("{" + exp + R"(,"nbf":)" + At(10) + "}", options), IsOk());
  EXPECT_THAT(Check("{" + exp + R"(,"nbf":)" + At(11) + "}", options),
              HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: not yet valid"));
  EXPECT_THAT(Check("{" + exp + R"(,"iat":)" + At(10) + "}", options), IsOk());
  EXPECT_THAT(Check("{" + exp + R"(,"iat":)" + At(11) + "}", options),
              HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: issued in the future"));
}

TEST(JwtClaimsTest, TimeClaimsMustBeNumbers) {
  for (const char* name : {"exp", "nbf", "iat"}) {
    const std::string claims = std::string(R"({")") + name + R"(":"soon"})";
    EXPECT_THAT(Check(claims), HasErrorMessage(ErrorCode::kUnauthenticated,
                                               std::string(name) + " is not a number"))
        << name;
  }
  EXPECT_THAT(Check(R"({"exp":1e400})"),  // overflows: the DOM parser refuses the whole text
              HasErrorMessage(ErrorCode::kUnauthenticated, "payload is not a JSON object"));
}

TEST(JwtClaimsTest, Issuer) {
  JwtOptions options;
  options.issuer = "auth.example.com";
  const std::string exp = R"("exp":)" + At(100);
  EXPECT_THAT(Check("{" + exp + R"(,"iss":"auth.example.com"})", options), IsOk());
  for (const char* iss : {R"("iss":"other")", R"("iss":7)", R"("x":1)"}) {
    EXPECT_THAT(Check("{" + exp + "," + iss + "}", options),
                HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: wrong issuer"))
        << iss;
  }
}

TEST(JwtClaimsTest, AudienceAsStringOrArrayOnBothPaths) {
  JwtOptions options;
  options.audience = "api";
  const std::string exp = R"("exp":)" + At(100);
  // The "\u0061" escape sends the text to the DOM path; the rest is the same.
  for (const char* aud : {R"("aud":"api")", R"("aud":["web","api"])",
                          R"("aud":["web",{"a":1},"api"],"n":"\u0061")"}) {
    EXPECT_THAT(Check("{" + exp + "," + aud + "}", options), IsOk()) << aud;
  }
  for (const char* aud : {R"("aud":"web")", R"("aud":["web"])", R"("aud":[])", R"("aud":{"api":1})",
                          R"("aud":["web"],"n":"\u0061")"}) {
    EXPECT_THAT(Check("{" + exp + "," + aud + "}", options),
                HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: wrong audience"))
        << aud;
  }
}

TEST(JwtClaimsTest, PayloadMustBeAnObject) {
  for (const char* text : {"", "[]", "1", R"({"exp":1)", R"({"exp":1} x)"}) {
    EXPECT_THAT(Check(text), HasErrorMessage(ErrorCode::kUnauthenticated,
                                             "jwt: malformed (payload is not a JSON object)"))
        << text;
  }
}

TEST(JwtClaimsTest, DuplicateMembersGoToTheDomParser) {
  // nlohmann keeps the last of duplicate members; the fast path defers rather than guess.
  JwtOptions options;
  options.leeway = seconds(0);
  EXPECT_THAT(Check(R"({"exp":)" + At(-5) + R"(,"exp":)" + At(5) + "}", options), IsOk());
  EXPECT_THAT(Check(R"({"exp":)" + At(5) + R"(,"exp":)" + At(-5) + "}", options),
              HasErrorMessage(ErrorCode::kUnauthenticated, "jwt: expired"));
}

}  // namespace
}  // namespace locksmith::internal
