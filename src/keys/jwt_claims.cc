// Reading and checking a JWT's registered claims.
#include "keys/jwt_claims.h"

#include <array>
#include <string>

#include "keys/jwt_codec.h"

namespace locksmith::internal {
namespace {

// The fast path; false means "unsure", not "invalid".
bool ScanClaims(std::string_view text, JwtClaimsFields& out) {
  static constexpr std::array<std::string_view, 5> kWanted = {"exp", "nbf", "iat", "iss", "aud"};
  std::array<JsonMember, 5> found;
  if (!JsonScanner(text).ScanObject(kWanted, found)) {
    return false;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    JsonMember& m = found[i];
    if (m.kind == JsonMember::kNumber) {
      m.number = ParseJsonNumber(m.text);
      if (!m.number) {
        return false;  // e.g. an underflow: the DOM parser's rounding decides
      }
    }
  }
  out.exp = found[0];
  out.nbf = found[1];
  out.iat = found[2];
  out.iss = found[3];
  out.aud = found[4];
  if (out.aud.is_array) {
    JsonScanner(out.aud.text).ForEachElement([&](JsonMember::Kind kind, std::string_view element) {
      if (kind == JsonMember::kString) {
        out.aud_strings.push_back(element);
      }
    });
  }
  return true;
}

// The slow path: the fields point into `claims`.
JwtClaimsFields DomClaims(const nlohmann::json& claims) {
  JwtClaimsFields out;
  out.exp = JsonMemberFromDom(claims, "exp");
  out.nbf = JsonMemberFromDom(claims, "nbf");
  out.iat = JsonMemberFromDom(claims, "iat");
  out.iss = JsonMemberFromDom(claims, "iss");
  out.aud = JsonMemberFromDom(claims, "aud");
  if (out.aud.is_array) {
    for (const nlohmann::json& a : *claims.find("aud")) {
      if (a.is_string()) {
        out.aud_strings.push_back(a.get_ref<const std::string&>());
      }
    }
  }
  return out;
}

// A time claim's value: nullopt if absent, malformed if not a finite number.
Result<std::optional<double>> TimeClaim(const char* name, const JsonMember& m) {
  if (m.kind == JsonMember::kAbsent) {
    return std::optional<double>();
  }
  if (!m.number) {
    return JwtMalformed(std::string(name) + " is not a number");
  }
  return m.number;
}

}  // namespace

Result<void> ReadJwtClaims(std::string_view text, JwtClaimsFields& fields,
                           std::optional<nlohmann::json>& dom) {
  if (ScanClaims(text, fields)) {
    return OkResult();
  }
  dom = ParseJsonObject(text);
  if (!dom) {
    return JwtMalformed("payload is not a JSON object");
  }
  fields = DomClaims(*dom);
  return OkResult();
}

Result<void> CheckJwtClaims(const JwtClaimsFields& claims, const JwtOptions& options,
                            std::chrono::system_clock::time_point now) {
  const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(options.leeway.count());
  LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> exp, TimeClaim("exp", claims.exp));
  LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> nbf, TimeClaim("nbf", claims.nbf));
  LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> iat, TimeClaim("iat", claims.iat));
  if (!exp && options.require_exp) {
    return JwtReject("missing exp");
  }
  if (exp && t >= *exp + leeway) {  // RFC 7519 4.1.4: must be before exp
    return JwtReject("expired");
  }
  if (nbf && t + leeway < *nbf) {
    return JwtReject("not yet valid");
  }
  if (iat && *iat > t + leeway) {
    return JwtReject("issued in the future");
  }
  if (options.issuer) {
    if (claims.iss.kind != JsonMember::kString || claims.iss.text != *options.issuer) {
      return JwtReject("wrong issuer");
    }
  }
  if (options.audience) {
    bool found = false;
    if (claims.aud.kind == JsonMember::kString) {
      found = claims.aud.text == *options.audience;
    } else if (claims.aud.is_array) {
      for (std::string_view a : claims.aud_strings) {
        found = found || a == *options.audience;
      }
    }
    if (!found) {
      return JwtReject("wrong audience");
    }
  }
  return OkResult();
}

}  // namespace locksmith::internal
