// JwtKeyRing: an immutable key set (current, previous, the current version's creation time)
// behind a holder that swaps in a new set when the secret rotates. The rotation policy is a pure
// function of that set and the wall clock, so every instance of a fleet reaches the same decision
// at the same time whenever it noticed the rotation (docs/jwt-rotation.md).
#include "locksmith/jwt_key_ring.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
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
  std::uint64_t serial = internal::NewKeySerial();  // lets a thread keep the HMAC keyed
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

// The fast path for the two small JSON objects of a token. Verifying a token mostly costs
// parsing them into a DOM (allocations for every member); this scanner validates the whole text as
// strict JSON (RFC 8259) in place and picks out the few top-level members the checks read. It
// only answers for plain text: strings must be printable ASCII without escapes, nesting at most 32
// deep, and no member it picks out may appear twice. Anything else, valid or not, is "unsure" and
// goes to nlohmann::json, so both paths give the same answers (the tests run both).
struct JsonMember {
  enum Kind : char { kAbsent, kString, kNumber, kOther };
  Kind kind = kAbsent;
  std::string_view text;  // a string's contents (no quotes, no escapes), a number's or array's text
  bool is_array = false;
  std::optional<double> number;  // a number's value, if finite
};

class FastJson {
 public:
  explicit FastJson(std::string_view text) : t_(text) {}

  // True if `text` is exactly one JSON object that the fast path handles; fills `found[i]` for the
  // member named `wanted[i]`.
  bool ScanObject(std::span<const std::string_view> wanted, std::span<JsonMember> found) {
    Ws();
    if (!Eat('{')) {
      return false;
    }
    Ws();
    if (!Eat('}')) {
      do {
        Ws();
        std::string_view key;
        if (!String(key)) {
          return false;
        }
        Ws();
        if (!Eat(':')) {
          return false;
        }
        Ws();
        const std::size_t start = i_;
        JsonMember::Kind kind = JsonMember::kOther;
        if (!Value(0, kind)) {
          return false;
        }
        for (std::size_t w = 0; w < wanted.size(); ++w) {
          if (key == wanted[w]) {
            if (found[w].kind != JsonMember::kAbsent) {
              return false;  // a duplicate: let the DOM parser decide which one counts
            }
            found[w].kind = kind;
            found[w].is_array = t_[start] == '[';
            found[w].text = kind == JsonMember::kString ? t_.substr(start + 1, i_ - start - 2)
                                                        : t_.substr(start, i_ - start);
          }
        }
        Ws();
      } while (Eat(','));
      if (!Eat('}')) {
        return false;
      }
    }
    Ws();
    return i_ == t_.size();
  }

  // For an array already validated by ScanObject: calls f(kind, text) for each element.
  template <typename F>
  bool ForEachElement(F&& f) {
    Ws();
    if (!Eat('[')) {
      return false;
    }
    Ws();
    if (Eat(']')) {
      return true;
    }
    do {
      Ws();
      const std::size_t start = i_;
      JsonMember::Kind kind = JsonMember::kOther;
      if (!Value(0, kind)) {
        return false;
      }
      f(kind, kind == JsonMember::kString ? t_.substr(start + 1, i_ - start - 2)
                                          : t_.substr(start, i_ - start));
      Ws();
    } while (Eat(','));
    return Eat(']');
  }

 private:
  static constexpr int kMaxDepth = 32;

  bool Eat(char c) {
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void Ws() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool String(std::string_view& out) {
    if (!Eat('"')) {
      return false;
    }
    const std::size_t start = i_;
    while (i_ < t_.size()) {
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        out = t_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20 || c >= 0x7f || c == '\\') {
        return false;  // control characters, escapes, non-ASCII: the DOM parser's job
      }
      ++i_;
    }
    return false;
  }
  bool Digits() {
    const std::size_t start = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      ++i_;
    }
    return i_ > start;
  }
  // Numbers with an exponent or a very long integer part are left to the DOM parser, which
  // rejects the whole text when one overflows a double.
  bool Number() {
    Eat('-');
    const std::size_t start = i_;
    if (Eat('0')) {
      if (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
        return false;  // leading zero
      }
    } else if (!Digits() || i_ - start > 300) {
      return false;
    }
    if (Eat('.') && !Digits()) {
      return false;
    }
    return !(i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E'));
  }
  bool Literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) {
      return false;
    }
    i_ += word.size();
    return true;
  }
  bool Value(int depth, JsonMember::Kind& kind) {
    if (i_ >= t_.size() || depth > kMaxDepth) {
      return false;
    }
    kind = JsonMember::kOther;
    const char c = t_[i_];
    if (c == '"') {
      std::string_view ignored;
      kind = JsonMember::kString;
      return String(ignored);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      kind = JsonMember::kNumber;
      return Number();
    }
    if (c == 't') {
      return Literal("true");
    }
    if (c == 'f') {
      return Literal("false");
    }
    if (c == 'n') {
      return Literal("null");
    }
    const bool object = c == '{';
    if (!object && c != '[') {
      return false;
    }
    ++i_;
    Ws();
    if (Eat(object ? '}' : ']')) {
      return true;
    }
    do {
      Ws();
      if (object) {
        std::string_view key;
        if (!String(key)) {
          return false;
        }
        Ws();
        if (!Eat(':')) {
          return false;
        }
        Ws();
      }
      JsonMember::Kind ignored;
      if (!Value(depth + 1, ignored)) {
        return false;
      }
      Ws();
    } while (Eat(','));
    return Eat(object ? '}' : ']');
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

// What Verify reads from the header and the claims, from either path.
struct HeaderFields {
  JsonMember alg, crit, typ, kid;
};
struct ClaimsFields {
  JsonMember exp, nbf, iat, iss, aud;
  std::vector<std::string_view> aud_strings;  // aud's string elements, if aud is an array
};

// The fast path; false means "unsure", not "invalid".
bool FastHeader(std::string_view text, HeaderFields& out) {
  static constexpr std::array<std::string_view, 4> kWanted = {"alg", "crit", "typ", "kid"};
  std::array<JsonMember, 4> found;
  if (!FastJson(text).ScanObject(kWanted, found)) {
    return false;
  }
  out = HeaderFields{found[0], found[1], found[2], found[3]};
  return true;
}

bool FastClaims(std::string_view text, ClaimsFields& out) {
  static constexpr std::array<std::string_view, 5> kWanted = {"exp", "nbf", "iat", "iss", "aud"};
  std::array<JsonMember, 5> found;
  if (!FastJson(text).ScanObject(kWanted, found)) {
    return false;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    JsonMember& m = found[i];
    if (m.kind == JsonMember::kNumber) {
      double value = 0;
      const char* end = m.text.data() + m.text.size();
      auto [ptr, ec] = std::from_chars(m.text.data(), end, value);
      if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
        return false;  // e.g. an underflow: the DOM parser's rounding decides
      }
      m.number = value;
    }
  }
  out.exp = found[0];
  out.nbf = found[1];
  out.iat = found[2];
  out.iss = found[3];
  out.aud = found[4];
  if (out.aud.is_array) {
    FastJson(out.aud.text).ForEachElement([&](JsonMember::Kind kind, std::string_view element) {
      if (kind == JsonMember::kString) {
        out.aud_strings.push_back(element);
      }
    });
  }
  return true;
}

// The slow path: the fields point into `object`, which must outlive them.
JsonMember FromDom(const json& object, const char* name) {
  JsonMember m;
  auto it = object.find(name);
  if (it == object.end()) {
    return m;
  }
  m.is_array = it->is_array();
  if (it->is_string()) {
    m.kind = JsonMember::kString;
    m.text = it->get_ref<const std::string&>();
  } else if (it->is_number()) {
    m.kind = JsonMember::kNumber;
    const double value = it->get<double>();
    if (std::isfinite(value)) {
      m.number = value;
    }
  } else {
    m.kind = JsonMember::kOther;
  }
  return m;
}

HeaderFields DomHeader(const json& header) {
  return HeaderFields{FromDom(header, "alg"), FromDom(header, "crit"), FromDom(header, "typ"),
                      FromDom(header, "kid")};
}

ClaimsFields DomClaims(const json& claims) {
  ClaimsFields out;
  out.exp = FromDom(claims, "exp");
  out.nbf = FromDom(claims, "nbf");
  out.iat = FromDom(claims, "iat");
  out.iss = FromDom(claims, "iss");
  out.aud = FromDom(claims, "aud");
  if (out.aud.is_array) {
    for (const json& a : *claims.find("aud")) {
      if (a.is_string()) {
        out.aud_strings.push_back(a.get_ref<const std::string&>());
      }
    }
  }
  return out;
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

    std::string header_text;
    if (!internal::Base64UrlDecodeAppend(header_b64, header_text)) {
      return Malformed("header is not base64url");
    }
    HeaderFields header;
    std::optional<json> header_dom;  // only when the fast path is unsure
    if (!FastHeader(header_text, header)) {
      header_dom = ParseObject(header_text);
      if (!header_dom) {
        return Malformed("header is not a JSON object");
      }
      header = DomHeader(*header_dom);
    }
    if (header.alg.kind != JsonMember::kString) {
      return Malformed("header has no alg");
    }
    if (header.alg.text != JwtAlgorithmName(options_.algorithm)) {
      return Reject("algorithm not allowed");
    }
    if (header.crit.kind != JsonMember::kAbsent) {
      return Reject("unsupported critical header");
    }
    if (options_.type) {
      if (header.typ.kind != JsonMember::kString ||
          !EqualsIgnoreCase(header.typ.text, *options_.type)) {
        return Reject("wrong type");
      }
    }
    std::array<std::uint8_t, 64> signature;
    std::size_t signature_size = 0;
    if (!internal::Base64UrlDecodeTo(signature_b64, signature.data(), signature.size(),
                                     signature_size)) {
      // Invalid, or longer than any HMAC: the latter is a bad signature, as a wrong length is.
      if (!internal::Base64UrlDecode(signature_b64).ok()) {
        return Malformed("signature is not base64url");
      }
      return Reject("bad signature");
    }
    const internal::HmacHash hash = HashFor(options_.algorithm);
    if (signature_size != internal::HmacSize(hash)) {
      return Reject("bad signature");
    }
    const std::span<const std::uint8_t> tag(signature.data(), signature_size);

    const auto now = clock_.WallNow();
    const std::shared_ptr<const JwtKeySet> set = Snapshot();
    const bool previous_verifies = PreviousVerifies(*set, now);
    const JwtKey* verified_by = nullptr;
    auto check = [&](const JwtKey& key) {
      return internal::HmacVerify(hash, key.secret.RevealBytesUnsafe(),
                                  internal::Bytes(signing_input), tag, internal::HmacSize(hash),
                                  key.serial);
    };
    if (header.kid.kind != JsonMember::kAbsent) {
      if (header.kid.kind != JsonMember::kString) {
        return Malformed("kid is not a string");
      }
      const std::string_view wanted = header.kid.text;
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

    std::string claims_text;
    if (!internal::Base64UrlDecodeAppend(payload_b64, claims_text)) {
      return Malformed("payload is not base64url");
    }
    ClaimsFields claims;
    std::optional<json> claims_dom;
    if (!FastClaims(claims_text, claims)) {
      claims_dom = ParseObject(claims_text);
      if (!claims_dom) {
        return Malformed("payload is not a JSON object");
      }
      claims = DomClaims(*claims_dom);
    }
    LOCKSMITH_RETURN_IF_ERROR(CheckClaims(claims, now));
    return VerifiedJwt{verified_by->kid, std::move(header_text), std::move(claims_text)};
  }

  Result<void> CheckClaims(const ClaimsFields& claims,
                           std::chrono::system_clock::time_point now) const {
    const double t = Seconds(now);
    const double leeway = static_cast<double>(options_.leeway.count());
    auto number = [&](const char* name, const JsonMember& m) -> Result<std::optional<double>> {
      if (m.kind == JsonMember::kAbsent) {
        return std::optional<double>();
      }
      if (!m.number) {
        return Malformed(std::string(name) + " is not a number");
      }
      return m.number;
    };
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> exp, number("exp", claims.exp));
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> nbf, number("nbf", claims.nbf));
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<double> iat, number("iat", claims.iat));
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
      if (claims.iss.kind != JsonMember::kString || claims.iss.text != *options_.issuer) {
        return Reject("wrong issuer");
      }
    }
    if (options_.audience) {
      bool found = false;
      if (claims.aud.kind == JsonMember::kString) {
        found = claims.aud.text == *options_.audience;
      } else if (claims.aud.is_array) {
        for (std::string_view a : claims.aud_strings) {
          found = found || a == *options_.audience;
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
