// JwtKeyRing: an immutable key set (current, then previous) in a KeySetHolder that swaps in a new
// set when the secret rotates. The rotation policy is a pure function of that set (with the
// current version's creation time) and the wall clock, so every instance of a fleet reaches the
// same decision at the same time whenever it noticed the rotation (docs/jwt-rotation.md).
// The token form is in keys/jwt_codec.h, the claims checks in keys/jwt_claims.h.
#include "locksmith/jwt_key_ring.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/strings.h"
#include "keys/jwt_claims.h"
#include "keys/jwt_codec.h"
#include "keys/jwt_json.h"
#include "keys/key_set.h"
#include "keys/primitives.h"

namespace locksmith {
namespace {

using nlohmann::json;

struct JwtKey {
  std::string kid;
  SecretValue secret;
  std::chrono::system_clock::time_point created;
  std::uint64_t serial = internal::NewKeySerial();  // lets a thread keep the HMAC keyed

  std::string_view id() const { return kid; }
};

using JwtKeySet = internal::KeySet<JwtKey>;  // current, then previous (if any)

const JwtKey* Previous(const JwtKeySet& set) {
  return set.keys.size() > 1 ? &set.keys[1] : nullptr;
}

class JwtKeyRingImpl final : public JwtKeyRing {
 public:
  JwtKeyRingImpl(SecretsManager* manager, std::string name, JwtOptions options, Clock& clock)
      : options_(std::move(options)),
        clock_(clock),
        hash_(internal::JwtHash(options_.algorithm)),
        keys_(
            manager, std::move(name), "jwt key ring", {},
            [this](std::vector<Secret> versions) { return BuildSet(std::move(versions)); },
            [](const JwtKeySet& set) {
              const JwtKey* previous = Previous(set);
              return "current kid " + set.primary().kid +
                     (previous != nullptr ? ", previous kid " + previous->kid : std::string());
            }) {}

  Result<void> Start() { return keys_.Start(); }

  Result<JwtKey> MakeKey(JwtKeyMaterial& m) const {
    const std::size_t min_size = internal::HmacSize(hash_);
    if (m.secret.size() < min_size) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret '" + keys_.name() + "' version " + m.version_id + ": an " +
                           std::string(JwtAlgorithmName(options_.algorithm)) +
                           " key must be at least " + std::to_string(min_size) + " bytes");
    }
    return JwtKey{m.version_id, std::move(m.secret), m.created};
  }

  Result<std::shared_ptr<const JwtKeySet>> BuildSet(JwtKeyMaterial current,
                                                    std::optional<JwtKeyMaterial> previous) const {
    if (options_.retire_after < options_.sign_after) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "jwt: retire_after must not be shorter than sign_after");
    }
    auto set = std::make_shared<JwtKeySet>();
    LOCKSMITH_ASSIGN_OR_RETURN(JwtKey current_key, MakeKey(current));
    set->keys.push_back(std::move(current_key));
    if (previous && previous->version_id != set->primary().kid) {
      LOCKSMITH_ASSIGN_OR_RETURN(JwtKey key, MakeKey(*previous));
      set->keys.push_back(std::move(key));
    }
    return std::shared_ptr<const JwtKeySet>(std::move(set));
  }

  // From the manager: current and previous only.
  Result<std::shared_ptr<const JwtKeySet>> BuildSet(std::vector<Secret> versions) const {
    auto material = [](Secret& s) {
      return JwtKeyMaterial{s.version.version_id, std::move(s.value), s.version.created};
    };
    std::optional<JwtKeyMaterial> previous;
    if (versions.size() > 1) {
      previous = material(versions[1]);
    }
    return BuildSet(material(versions[0]), std::move(previous));
  }

  void Install(std::shared_ptr<const JwtKeySet> set) { keys_.Install(std::move(set)); }

  // The policy, as pure functions of the set and the time.
  const JwtKey& SigningKey(const JwtKeySet& set, std::chrono::system_clock::time_point now) const {
    const JwtKey* previous = Previous(set);
    if (previous != nullptr && now < set.primary().created + options_.sign_after) {
      return *previous;
    }
    return set.primary();
  }
  const JwtKey* VerifyingPrevious(const JwtKeySet& set,
                                  std::chrono::system_clock::time_point now) const {
    const JwtKey* previous = Previous(set);
    return previous != nullptr && now < set.primary().created + options_.retire_after ? previous
                                                                                      : nullptr;
  }

  Result<std::string> Sign(std::string_view claims_json,
                           std::optional<std::chrono::seconds> ttl) const override {
    json claims = json::object();
    if (!claims_json.empty()) {
      auto parsed = internal::ParseJsonObject(claims_json);
      if (!parsed) {
        return MakeError(ErrorCode::kInvalidArgument, "jwt: claims must be a JSON object");
      }
      claims = std::move(*parsed);
    }
    const auto now = clock_.WallNow();
    if (ttl) {
      if (ttl->count() <= 0) {
        return MakeError(ErrorCode::kInvalidArgument, "jwt: ttl must be positive");
      }
      const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
      claims["iat"] = iat.count();
      claims["exp"] = (iat + *ttl).count();
    }
    const std::shared_ptr<const JwtKeySet> set = keys_.Snapshot();
    const JwtKey& key = SigningKey(*set, now);
    json header = {{"alg", JwtAlgorithmName(options_.algorithm)}, {"typ", "JWT"}, {"kid", key.kid}};
    LOCKSMITH_ASSIGN_OR_RETURN(std::string token, internal::EncodeJwsSigningInput(header, claims));
    LOCKSMITH_RETURN_IF_ERROR(internal::AppendJwsSignature(hash_, key.secret, token));
    return token;
  }

  Result<VerifiedJwt> Verify(std::string_view token) const override {
    if (token.size() > options_.max_token_size) {
      return internal::JwtMalformed("token too large");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(const internal::JwsSegments segments, internal::SplitJws(token));

    std::string header_text;
    LOCKSMITH_RETURN_IF_ERROR(internal::DecodeJwsSegment(segments.header, "header", header_text));
    internal::JwtHeaderFields header;
    std::optional<json> header_dom;  // only when the fast path is unsure
    LOCKSMITH_RETURN_IF_ERROR(internal::ReadJwtHeader(header_text, header, header_dom));
    LOCKSMITH_RETURN_IF_ERROR(CheckHeader(header));
    internal::JwsSignatureBuffer signature;
    LOCKSMITH_ASSIGN_OR_RETURN(const std::span<const std::uint8_t> tag,
                               internal::DecodeJwsSignature(segments.signature, hash_, signature));

    const auto now = clock_.WallNow();
    const std::shared_ptr<const JwtKeySet> set = keys_.Snapshot();
    LOCKSMITH_ASSIGN_OR_RETURN(const JwtKey* verified_by,
                               VerifyingKey(*set, now, header, segments.signing_input, tag));

    std::string claims_text;
    LOCKSMITH_RETURN_IF_ERROR(internal::DecodeJwsSegment(segments.payload, "payload", claims_text));
    internal::JwtClaimsFields claims;
    std::optional<json> claims_dom;
    LOCKSMITH_RETURN_IF_ERROR(internal::ReadJwtClaims(claims_text, claims, claims_dom));
    LOCKSMITH_RETURN_IF_ERROR(internal::CheckJwtClaims(claims, options_, now));
    return VerifiedJwt{verified_by->kid, std::move(header_text), std::move(claims_text)};
  }

  std::string SigningKid() const override {
    auto set = keys_.Snapshot();
    return SigningKey(*set, clock_.WallNow()).kid;
  }

  std::vector<std::string> VerifyingKids() const override {
    auto set = keys_.Snapshot();
    std::vector<std::string> kids{set->primary().kid};
    if (const JwtKey* previous = VerifyingPrevious(*set, clock_.WallNow())) {
      kids.push_back(previous->kid);
    }
    return kids;
  }

  Result<void> Reload() override { return keys_.Reload(); }

 private:
  Result<void> CheckHeader(const internal::JwtHeaderFields& header) const {
    if (header.alg.kind != internal::JsonMember::kString) {
      return internal::JwtMalformed("header has no alg");
    }
    if (header.alg.text != JwtAlgorithmName(options_.algorithm)) {
      return internal::JwtReject("algorithm not allowed");
    }
    if (header.crit.kind != internal::JsonMember::kAbsent) {
      return internal::JwtReject("unsupported critical header");
    }
    if (options_.type) {
      if (header.typ.kind != internal::JsonMember::kString ||
          !internal::EqualsIgnoreCase(header.typ.text, *options_.type)) {
        return internal::JwtReject("wrong type");
      }
    }
    return OkResult();
  }

  // The key whose HMAC of `signing_input` is `tag`: the one named by kid, or, for a token issued
  // before kids, current then previous (the guide's JwtSecrets::verify_token).
  Result<const JwtKey*> VerifyingKey(const JwtKeySet& set,
                                     std::chrono::system_clock::time_point now,
                                     const internal::JwtHeaderFields& header,
                                     std::string_view signing_input,
                                     std::span<const std::uint8_t> tag) const {
    const JwtKey* previous = VerifyingPrevious(set, now);
    auto check = [&](const JwtKey& key) {
      return internal::HmacVerify(hash_, key.secret.RevealBytesUnsafe(),
                                  internal::Bytes(signing_input), tag, internal::HmacSize(hash_),
                                  key.serial);
    };
    if (header.kid.kind != internal::JsonMember::kAbsent) {
      if (header.kid.kind != internal::JsonMember::kString) {
        return internal::JwtMalformed("kid is not a string");
      }
      const JwtKey* key = set.Find(header.kid.text);
      if (key == nullptr || (key != &set.primary() && key != previous)) {
        return internal::JwtReject("unknown key");
      }
      if (check(*key)) {
        return key;
      }
    } else if (check(set.primary())) {
      return &set.primary();
    } else if (previous != nullptr && check(*previous)) {
      return previous;
    }
    return internal::JwtReject("bad signature");
  }

  const JwtOptions options_;
  Clock& clock_;
  const internal::HmacHash hash_;
  internal::KeySetHolder<JwtKey> keys_;  // last: unsubscribes before the members above go away
};

}  // namespace

std::string_view JwtAlgorithmName(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kHS256:
      return "HS256";
    case JwtAlgorithm::kHS384:
      return "HS384";
    case JwtAlgorithm::kHS512:
      return "HS512";
  }
  return "HS256";
}

std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name) {
  for (JwtAlgorithm alg : {JwtAlgorithm::kHS256, JwtAlgorithm::kHS384, JwtAlgorithm::kHS512}) {
    if (name == JwtAlgorithmName(alg)) {
      return alg;
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<JwtKeyRing>> JwtKeyRing::Create(SecretsManager& manager,
                                                       std::string secret_name, JwtOptions options,
                                                       Clock& clock) {
  auto ring =
      std::make_unique<JwtKeyRingImpl>(&manager, std::move(secret_name), std::move(options), clock);
  LOCKSMITH_RETURN_IF_ERROR(ring->Start());
  return std::unique_ptr<JwtKeyRing>(std::move(ring));
}

Result<std::unique_ptr<JwtKeyRing>> JwtKeyRing::FromKeys(JwtKeyMaterial current,
                                                         std::optional<JwtKeyMaterial> previous,
                                                         JwtOptions options, Clock& clock) {
  auto ring = std::make_unique<JwtKeyRingImpl>(nullptr, "jwt", std::move(options), clock);
  LOCKSMITH_ASSIGN_OR_RETURN(auto set, ring->BuildSet(std::move(current), std::move(previous)));
  ring->Install(std::move(set));
  return std::unique_ptr<JwtKeyRing>(std::move(ring));
}

}  // namespace locksmith
