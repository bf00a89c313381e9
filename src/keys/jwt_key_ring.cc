// JwtKeyRing: an immutable key set (current, previous, the current version's creation time)
// behind a holder that swaps in a new set when the secret rotates. The rotation policy is a pure
// function of that set and the wall clock, so every instance of a fleet reaches the same decision
// at the same time whenever it noticed the rotation (docs/jwt-rotation.md).
#include "locksmith/jwt_key_ring.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/crypto.h"
#include "keys/key_versions.h"
#include "keys/primitives.h"
#include "locksmith/log.h"

namespace locksmith {
namespace {

using nlohmann::json;

struct JwtKey {
  std::string kid;
  SecretValue secret;
};

struct JwtKeySet {
  JwtKey current;
  std::optional<JwtKey> previous;
  std::chrono::system_clock::time_point current_created;
};

internal::HmacHash HashFor(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kHS256:
      return internal::HmacHash::kSha256;
    case JwtAlgorithm::kHS384:
      return internal::HmacHash::kSha384;
    case JwtAlgorithm::kHS512:
      return internal::HmacHash::kSha512;
  }
  return internal::HmacHash::kSha256;
}

Error Reject(std::string_view what) {
  return MakeError(ErrorCode::kUnauthenticated, "jwt: " + std::string(what));
}

Error Malformed(std::string_view what) { return Reject("malformed (" + std::string(what) + ")"); }

// Parses a JSON object without exceptions; nullopt for anything else.
std::optional<json> ParseObject(std::string_view text) {
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return std::nullopt;
  }
  return parsed;
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

class JwtKeyRingImpl final : public JwtKeyRing {
 public:
  JwtKeyRingImpl(SecretsManager* manager, std::string name, JwtOptions options, Clock& clock)
      : manager_(manager), name_(std::move(name)), options_(std::move(options)), clock_(clock) {}

  Result<JwtKey> MakeKey(JwtKeyMaterial& m) const {
    const std::size_t min_size = internal::HmacSize(HashFor(options_.algorithm));
    if (m.secret.size() < min_size) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secret '" + name_ + "' version " + m.version_id + ": an " +
                           std::string(JwtAlgorithmName(options_.algorithm)) +
                           " key must be at least " + std::to_string(min_size) + " bytes");
    }
    return JwtKey{m.version_id, std::move(m.secret)};
  }

  Result<std::shared_ptr<const JwtKeySet>> BuildSet(JwtKeyMaterial current,
                                                    std::optional<JwtKeyMaterial> previous) const {
    if (options_.retire_after < options_.sign_after) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "jwt: retire_after must not be shorter than sign_after");
    }
    auto set = std::make_shared<JwtKeySet>();
    set->current_created = current.created;
    LOCKSMITH_ASSIGN_OR_RETURN(set->current, MakeKey(current));
    if (previous && previous->version_id != set->current.kid) {
      LOCKSMITH_ASSIGN_OR_RETURN(JwtKey key, MakeKey(*previous));
      set->previous = std::move(key);
    }
    return std::shared_ptr<const JwtKeySet>(std::move(set));
  }

  void Install(std::shared_ptr<const JwtKeySet> set) {
    std::lock_guard lock(mu_);
    set_ = std::move(set);
  }

  Result<void> Rebuild(std::optional<Secret> announced) {
    LOCKSMITH_ASSIGN_OR_RETURN(
        internal::KeyVersions versions,
        internal::LoadKeyVersions(*manager_, name_, std::move(announced), {}));
    JwtKeyMaterial current{versions.current.version.version_id, std::move(versions.current.value),
                           versions.current.version.created};
    std::optional<JwtKeyMaterial> previous;
    if (versions.previous) {
      previous =
          JwtKeyMaterial{versions.previous->version.version_id, std::move(versions.previous->value),
                         versions.previous->version.created};
    }
    LOCKSMITH_ASSIGN_OR_RETURN(auto set, BuildSet(std::move(current), std::move(previous)));
    Logger()->info("jwt key ring '{}': current kid {}{}", name_, set->current.kid,
                   set->previous ? ", previous kid " + set->previous->kid : std::string());
    Install(std::move(set));
    return OkResult();
  }

  void Subscribe() {
    subscription_ = manager_->Subscribe(name_, [this](const SecretUpdate& update) {
      Secret announced{name_, update.version, update.value.Clone()};
      if (auto rebuilt = Rebuild(std::move(announced)); !rebuilt.ok()) {
        Logger()->warn("jwt key ring '{}': reload failed ({}); keeping the previous keys", name_,
                       rebuilt.error().ToString());
      }
    });
  }

  std::shared_ptr<const JwtKeySet> Snapshot() const {
    std::lock_guard lock(mu_);
    return set_;
  }

  // The policy, as pure functions of the set and the time.
  const JwtKey& SigningKey(const JwtKeySet& set, std::chrono::system_clock::time_point now) const {
    if (set.previous && now < set.current_created + options_.sign_after) {
      return *set.previous;
    }
    return set.current;
  }
  bool PreviousVerifies(const JwtKeySet& set, std::chrono::system_clock::time_point now) const {
    return set.previous && now < set.current_created + options_.retire_after;
  }

  Result<std::string> Sign(std::string_view claims_json,
                           std::optional<std::chrono::seconds> ttl) const override {
    json claims = json::object();
    if (!claims_json.empty()) {
      auto parsed = ParseObject(claims_json);
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
    const std::shared_ptr<const JwtKeySet> set = Snapshot();
    const JwtKey& key = SigningKey(*set, now);
    json header = {{"alg", JwtAlgorithmName(options_.algorithm)}, {"typ", "JWT"}, {"kid", key.kid}};
    std::string token;
    try {
      const std::string header_text = header.dump();
      const std::string claims_text = claims.dump();
      token = internal::Base64UrlEncode(internal::Bytes(header_text)) + "." +
              internal::Base64UrlEncode(internal::Bytes(claims_text));
    } catch (const std::exception&) {
      return MakeError(ErrorCode::kInvalidArgument, "jwt: claims are not valid UTF-8");
    }
    const internal::HmacHash hash = HashFor(options_.algorithm);
    std::array<std::uint8_t, 64> mac;
    if (!internal::HmacCompute(hash, key.secret.RevealBytesUnsafe(), internal::Bytes(token),
                               mac.data())) {
      return MakeError(ErrorCode::kInternal, "jwt: HMAC failed");
    }
    token += '.';
    token += internal::Base64UrlEncode(std::span(mac.data(), internal::HmacSize(hash)));
    OPENSSL_cleanse(mac.data(), mac.size());
    return token;
  }

  Result<VerifiedJwt> Verify(std::string_view token) const override {
    if (token.size() > options_.max_token_size) {
      return Malformed("token too large");
    }
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
      return Malformed("not three parts");
    }
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view signature_b64 = token.substr(dot2 + 1);
    const std::string_view signing_input = token.substr(0, dot2);

    auto header_bytes = internal::Base64UrlDecode(header_b64);
    if (!header_bytes.ok()) {
      return Malformed("header is not base64url");
    }
    std::string header_text(header_bytes->begin(), header_bytes->end());
    auto header = ParseObject(header_text);
    if (!header) {
      return Malformed("header is not a JSON object");
    }
    auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string()) {
      return Malformed("header has no alg");
    }
    if (alg->get_ref<const std::string&>() != JwtAlgorithmName(options_.algorithm)) {
      return Reject("algorithm not allowed");
    }
    if (header->contains("crit")) {
      return Reject("unsupported critical header");
    }
    if (options_.type) {
      auto typ = header->find("typ");
      if (typ == header->end() || !typ->is_string() ||
          !EqualsIgnoreCase(typ->get_ref<const std::string&>(), *options_.type)) {
        return Reject("wrong type");
      }
    }
    auto signature = internal::Base64UrlDecode(signature_b64);
    if (!signature.ok()) {
      return Malformed("signature is not base64url");
    }
    const internal::HmacHash hash = HashFor(options_.algorithm);
    if (signature->size() != internal::HmacSize(hash)) {
      return Reject("bad signature");
    }

    const auto now = clock_.WallNow();
    const std::shared_ptr<const JwtKeySet> set = Snapshot();
    const bool previous_verifies = PreviousVerifies(*set, now);
    const JwtKey* verified_by = nullptr;
    auto check = [&](const JwtKey& key) {
      return internal::HmacVerify(hash, key.secret.RevealBytesUnsafe(),
                                  internal::Bytes(signing_input), *signature,
                                  internal::HmacSize(hash));
    };
    auto kid = header->find("kid");
    if (kid != header->end()) {
      if (!kid->is_string()) {
        return Malformed("kid is not a string");
      }
      const std::string& wanted = kid->get_ref<const std::string&>();
      const JwtKey* key = nullptr;
      if (wanted == set->current.kid) {
        key = &set->current;
      } else if (previous_verifies && wanted == set->previous->kid) {
        key = &*set->previous;
      }
      if (key == nullptr) {
        return Reject("unknown key");
      }
      if (check(*key)) {
        verified_by = key;
      }
    } else {
      // Issued before kids: current, then previous (the guide's JwtSecrets::verify_token).
      if (check(set->current)) {
        verified_by = &set->current;
      } else if (previous_verifies && check(*set->previous)) {
        verified_by = &*set->previous;
      }
    }
    if (verified_by == nullptr) {
      return Reject("bad signature");
    }

    auto payload_bytes = internal::Base64UrlDecode(payload_b64);
    if (!payload_bytes.ok()) {
      return Malformed("payload is not base64url");
    }
    std::string claims_text(payload_bytes->begin(), payload_bytes->end());
    auto claims = ParseObject(claims_text);
    if (!claims) {
      return Malformed("payload is not a JSON object");
    }
    LOCKSMITH_RETURN_IF_ERROR(CheckClaims(*claims, now));
    return VerifiedJwt{verified_by->kid, std::move(header_text), std::move(claims_text)};
  }

  Result<void> CheckClaims(const json& claims, std::chrono::system_clock::time_point now) const {
    const double t = Seconds(now);
    const double leeway = static_cast<double>(options_.leeway.count());
    auto number = [&](const char* name) -> Result<std::optional<double>> {
      auto it = claims.find(name);
      if (it == claims.end()) {
        return std::optional<double>();
      }
      if (!it->is_number() || !std::isfinite(it->get<double>())) {
        return Malformed(std::string(name) + " is not a number");
      }
      return std::optional<double>(it->get<double>());
    };
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> exp, number("exp"));
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> nbf, number("nbf"));
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> iat, number("iat"));
    if (!exp && options_.require_exp) {
      return Reject("missing exp");
    }
    if (exp && t >= *exp + leeway) {  // RFC 7519 4.1.4: must be before exp
      return Reject("expired");
    }
    if (nbf && t + leeway < *nbf) {
      return Reject("not yet valid");
    }
    if (iat && *iat > t + leeway) {
      return Reject("issued in the future");
    }
    if (options_.issuer) {
      auto iss = claims.find("iss");
      if (iss == claims.end() || !iss->is_string() ||
          iss->get_ref<const std::string&>() != *options_.issuer) {
        return Reject("wrong issuer");
      }
    }
    if (options_.audience) {
      auto aud = claims.find("aud");
      bool found = false;
      if (aud != claims.end() && aud->is_string()) {
        found = aud->get_ref<const std::string&>() == *options_.audience;
      } else if (aud != claims.end() && aud->is_array()) {
        for (const json& a : *aud) {
          found = found || (a.is_string() && a.get_ref<const std::string&>() == *options_.audience);
        }
      }
      if (!found) {
        return Reject("wrong audience");
      }
    }
    return OkResult();
  }

  std::string SigningKid() const override {
    auto set = Snapshot();
    return SigningKey(*set, clock_.WallNow()).kid;
  }

  std::vector<std::string> VerifyingKids() const override {
    auto set = Snapshot();
    std::vector<std::string> kids{set->current.kid};
    if (PreviousVerifies(*set, clock_.WallNow())) {
      kids.push_back(set->previous->kid);
    }
    return kids;
  }

  Result<void> Reload() override {
    if (manager_ == nullptr) {
      return MakeError(ErrorCode::kFailedPrecondition, "this key ring has fixed keys");
    }
    return Rebuild(std::nullopt);
  }

 private:
  SecretsManager* manager_;  // null for a fixed ring
  const std::string name_;
  const JwtOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const JwtKeySet> set_;
  SubscriptionPtr subscription_;  // last: unsubscribes before the members above go away
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
  LOCKSMITH_RETURN_IF_ERROR(ring->Rebuild(std::nullopt));
  ring->Subscribe();
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
