// The claims validator of JwtKeyRing::Verify: reads the registered claims it checks (exp, nbf,
// iat, iss, aud) from a token's payload and checks them against JwtOptions and the time.
// Errors are kUnauthenticated "jwt: ..." naming the failed check.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "keys/jwt_json.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/result.h"

namespace locksmith::internal {

struct JwtClaimsFields {
  JsonMember exp, nbf, iat, iss, aud;
  std::vector<std::string_view> aud_strings;  // aud's string elements, if aud is an array
};

// Reads the fields from the decoded payload. When the fast path is unsure the payload is parsed
// into `dom`, which the fields then point into. Malformed unless it is a JSON object.
Result<void> ReadJwtClaims(std::string_view text, JwtClaimsFields& fields,
                           std::optional<nlohmann::json>& dom);

// exp (required if options.require_exp), nbf and iat against `now` with options.leeway; iss and
// aud against options.issuer and options.audience when set.
Result<void> CheckJwtClaims(const JwtClaimsFields& claims, const JwtOptions& options,
                            std::chrono::system_clock::time_point now);

}  // namespace locksmith::internal
