// JwtKeyRing::Verify and Sign (keys/jwt_codec.cc, jwt_json.cc, jwt_claims.cc) with a fixed ring
// (current kid "v2", previous kid "v1", HS256) and a fixed clock. The first byte picks the mode:
//   even: the rest is a token. Verify never crashes; a refusal is kUnauthenticated with one of
//         the fixed messages naming the failed check (so it never quotes the token); an acceptance
//         is only possible for a token the ring signed, so its signature is recomputed here with
//         core's HMAC (not the ring's) and must match, and the verified header and claims are the
//         token's decoded segments.
//   odd:  the rest is a claims object. Sign it (with a TTL); Verify of the result succeeds or is
//         refused only for a claim check (never the signature or form), the claims round-trip
//         (what was signed, plus iat and exp), and the token with its signature changed is refused.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "fixed_clock_random.h"
#include "fuzz_check.h"
#include "keys/jwt_json.h"
#include "locksmith/jwt_key_ring.h"

namespace {

using locksmith::ErrorCode;

constexpr std::string_view kJwtFuzzCurrentKey = "fuzz-jwt-key-current-0123456789abcdef";
constexpr std::string_view kJwtFuzzPreviousKey = "fuzz-jwt-key-previous-0123456789abcdef";
constexpr std::int64_t kJwtFuzzNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

struct JwtFuzzRing {
  locksmith::fuzz::FixedClock clock{
      std::chrono::system_clock::time_point(std::chrono::seconds(kJwtFuzzNow))};
  locksmith::JwtKeyRingPtr ring;

  JwtFuzzRing() {
    // Past sign_after (1 h), within retire_after (2 h): v2 signs, v1 still verifies.
    const auto created = clock.WallNow() - std::chrono::minutes(90);
    auto built = locksmith::JwtKeyRing::FromKeys(
        {"v2", locksmith::SecretValue(kJwtFuzzCurrentKey), created},
        locksmith::JwtKeyMaterial{"v1", locksmith::SecretValue(kJwtFuzzPreviousKey),
                                  created - std::chrono::hours(24)},
        locksmith::JwtOptions{}, clock);
    FUZZ_CHECK(built.ok(), "the fixed ring builds");
    ring = std::move(built).value();
  }
};

const JwtFuzzRing& Ring() {
  static const JwtFuzzRing* ring = new JwtFuzzRing();
  return *ring;
}

std::string DecodedSegment(std::string_view segment) {
  auto bytes = locksmith::internal::Base64UrlDecode(segment);
  FUZZ_CHECK(bytes.ok(), "a verified token's segments are base64url");
  return std::string(bytes->begin(), bytes->end());
}

// Every message Verify gives: naming the failed check, and so never quoting the token.
constexpr std::string_view kJwtRefusals[] = {
    "jwt: malformed (token too large)",
    "jwt: malformed (not three parts)",
    "jwt: malformed (header is not base64url)",
    "jwt: malformed (payload is not base64url)",
    "jwt: malformed (signature is not base64url)",
    "jwt: malformed (header is not a JSON object)",
    "jwt: malformed (payload is not a JSON object)",
    "jwt: malformed (header has no alg)",
    "jwt: malformed (kid is not a string)",
    "jwt: malformed (exp is not a number)",
    "jwt: malformed (nbf is not a number)",
    "jwt: malformed (iat is not a number)",
    "jwt: algorithm not allowed",
    "jwt: unsupported critical header",
    "jwt: wrong type",
    "jwt: unknown key",
    "jwt: bad signature",
    "jwt: missing exp",
    "jwt: expired",
    "jwt: not yet valid",
    "jwt: issued in the future",
    "jwt: wrong issuer",
    "jwt: wrong audience",
};

void CheckRefusal(const locksmith::Error& error) {
  FUZZ_CHECK(error.code == ErrorCode::kUnauthenticated, "a refused token is kUnauthenticated");
  bool known = false;
  for (std::string_view refusal : kJwtRefusals) {
    known = known || error.message == refusal;
  }
  FUZZ_CHECK(known, "a refusal is one of the fixed messages, so it never quotes the token");
}

void FuzzVerify(std::string_view token) {
  auto verified = Ring().ring->Verify(token);
  if (!verified.ok()) {
    CheckRefusal(verified.error());
    return;
  }
  // Only the ring's keys sign: recompute the HMAC with core's implementation.
  const std::size_t last_dot = token.rfind('.');
  FUZZ_CHECK(last_dot != std::string_view::npos, "a verified token has a signature");
  const std::string_view signing_input = token.substr(0, last_dot);
  const std::string_view key = verified->kid == "v2"   ? kJwtFuzzCurrentKey
                               : verified->kid == "v1" ? kJwtFuzzPreviousKey
                                                       : std::string_view();
  FUZZ_CHECK(!key.empty(), "a verified token names a key of the ring");
  auto mac = locksmith::internal::Hmac("SHA256", locksmith::internal::AsBytes(key),
                                       locksmith::internal::AsBytes(signing_input));
  FUZZ_CHECK(mac.ok() && locksmith::internal::Base64UrlEncode(*mac) == token.substr(last_dot + 1),
             "a verified token carries the ring's HMAC of its signing input");
  const std::size_t first_dot = token.find('.');
  FUZZ_CHECK(verified->header_json == DecodedSegment(token.substr(0, first_dot)),
             "the verified header is the token's header");
  FUZZ_CHECK(verified->claims_json == DecodedSegment(signing_input.substr(first_dot + 1)),
             "the verified claims are the token's payload");
}

void FuzzSignVerify(std::string_view claims_json) {
  auto token = Ring().ring->Sign(claims_json, std::chrono::minutes(15));
  if (!token.ok()) {
    FUZZ_CHECK(token.error().code == ErrorCode::kInvalidArgument && !token.error().message.empty(),
               "a refused Sign is kInvalidArgument with a message");
    return;
  }
  auto verified = Ring().ring->Verify(*token);
  if (!verified.ok()) {
    // Claims the caller chose may fail their own checks (an nbf in the future, a non-numeric
    // nbf, a token larger than max_token_size), never the signature or the token's form.
    const std::string& message = verified.error().message;
    FUZZ_CHECK(message == "jwt: not yet valid" ||
                   message == "jwt: malformed (nbf is not a number)" ||
                   message == "jwt: malformed (token too large)",
               "a signed token is refused only for its own claims");
    return;
  }
  FUZZ_CHECK(verified->kid == "v2", "the current key signs (its sign_after has passed)");
  auto expected = locksmith::internal::ParseJsonObject(claims_json.empty() ? "{}" : claims_json);
  auto actual = locksmith::internal::ParseJsonObject(verified->claims_json);
  FUZZ_CHECK(expected && actual, "signed and verified claims are JSON objects");
  (*expected)["iat"] = kJwtFuzzNow;
  (*expected)["exp"] = kJwtFuzzNow + 15 * 60;
  FUZZ_CHECK(*expected == *actual, "the claims round-trip, with iat and exp set");
  // The same token with one signature character changed never verifies.
  std::string tampered = *token;
  char& c = tampered[tampered.size() - 2];
  c = c == 'A' ? 'B' : 'A';
  auto refused = Ring().ring->Verify(tampered);
  FUZZ_CHECK(!refused.ok(), "a changed signature is refused");
  CheckRefusal(refused.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    FuzzVerify(rest);
  } else {
    FuzzSignVerify(rest);
  }
  return 0;
}
