// JwtKeyRing: signs and verifies HS256/384/512 JSON Web Tokens with the versions of one secret
// (e.g. "jwt-secret"), following the dual-key rotation policy of docs/jwt-rotation.md:
//
//   t0 = the new version's creation time (VersionInfo::created, the same for the whole fleet)
//   [t0, t0 + sign_after)       new key verifies only; the previous key still signs
//   [t0 + sign_after, ...)      new key signs
//   [t0, t0 + retire_after)     previous key still verifies; dropped afterwards
//
// Tokens carry `kid` = the key's version id, so verification picks the key directly; a token
// without `kid` (issued before this library) is tried against the current key, then the previous.
// The algorithm is bound to the key: the token's `alg` must equal it (`none` never verifies).
// Verification errors are all kUnauthenticated, with a message naming the failed check
// ("jwt: expired", "jwt: bad signature", ...) and never quoting the token.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

enum class JwtAlgorithm { kHS256, kHS384, kHS512 };
std::string_view JwtAlgorithmName(JwtAlgorithm alg);  // "HS256" ...
std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name);

struct JwtOptions {
  JwtAlgorithm algorithm = JwtAlgorithm::kHS256;
  // Rotation policy, measured from the current version's creation time.
  std::chrono::seconds sign_after = std::chrono::hours(1);
  std::chrono::seconds retire_after = std::chrono::hours(2);

  // Verification.
  std::chrono::seconds leeway = std::chrono::seconds(60);  // for exp, nbf and iat
  bool require_exp = true;
  std::optional<std::string> issuer;    // required `iss`, if set
  std::optional<std::string> audience;  // must appear in `aud` (a string or an array), if set
  std::optional<std::string> type;      // required header `typ` (case-insensitive), if set
  std::size_t max_token_size = 8192;    // bytes; longer tokens are rejected unread
};

// One version of the signing secret. The secret's bytes are the HMAC key; they must be at least
// as long as the hash output (32, 48 or 64 bytes, RFC 7518 3.2).
struct JwtKeyMaterial {
  std::string version_id;  // becomes the `kid`
  SecretValue secret;
  std::chrono::system_clock::time_point created;
};

struct VerifiedJwt {
  std::string kid;          // the key that verified it
  std::string header_json;  // as decoded
  std::string claims_json;  // as decoded
};

// Thread-safe: every method may be called from any thread at once. Each rebuild produces a new
// immutable key set; readers in flight keep using the set they started with.
class JwtKeyRing {
 public:
  virtual ~JwtKeyRing() = default;

  // `claims_json` is a JSON object (empty text means {}). With `ttl`, "iat" = now and
  // "exp" = now + ttl are set (replacing any given). Header: {"alg","typ":"JWT","kid"}.
  virtual Result<std::string> Sign(std::string_view claims_json,
                                   std::optional<std::chrono::seconds> ttl) const = 0;
  virtual Result<VerifiedJwt> Verify(std::string_view token) const = 0;

  // The kid that signs now, and the kids that verify now (current first).
  virtual std::string SigningKid() const = 0;
  virtual std::vector<std::string> VerifyingKids() const = 0;

  // Rebuilds from the manager now (a subscription does this on every rotation). On failure the
  // previous key set stays in use.
  virtual Result<void> Reload() = 0;

  // Loads current and previous versions of `secret_name` and subscribes to its changes. Errors:
  // those of the manager, kInvalidArgument for a key that is too short (configuration error).
  // `manager` and `clock` must outlive the ring.
  static Result<std::unique_ptr<JwtKeyRing>> Create(SecretsManager& manager,
                                                    std::string secret_name, JwtOptions options,
                                                    Clock& clock);
  // A fixed ring (no manager, no subscription): for tests, benchmarks and tools.
  static Result<std::unique_ptr<JwtKeyRing>> FromKeys(JwtKeyMaterial current,
                                                      std::optional<JwtKeyMaterial> previous,
                                                      JwtOptions options, Clock& clock);
};

using JwtKeyRingPtr = std::unique_ptr<JwtKeyRing>;

}  // namespace locksmith
