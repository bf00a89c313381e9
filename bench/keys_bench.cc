// Key-ring benchmarks (issue 5, "Performance"), side by side with what they are measured against.
// See docs/benchmarks.md ("Keys").
//
// HS256 verify of one token (the same bytes for every case):
//   BM_JwtVerify_KeyRing          JwtKeyRing::Verify, steady state (one key in the ring)
//   BM_JwtVerify_Libjwt           libjwt: jwt_decode with the key, then check alg and exp
//   BM_JwtVerify_BareHmac         the limit: base64url-decode the signature, HMAC-SHA256 of the
//                                 signing input with a reused OpenSSL context (keyed per call),
//                                 constant-time compare
//   BM_JwtVerify_BareHmacPrekeyed the same, keyed once (no per-call HMAC key setup)
// During a rotation (two keys in the ring, both verifying):
//   BM_JwtVerify_Rotation_OldKid  token signed by the older key, found by its kid
//   BM_JwtVerify_Rotation_NewKid  token signed by the newer key, found by its kid
//   BM_JwtVerify_Rotation_NoKid   a kid-less token signed by the older key (current tried first)
// AES-256-GCM encrypt + decrypt of a 64-byte field:
//   BM_AesGcm_KeyRingBinary       EncryptionKeyRing binary form (BYTEA)
//   BM_AesGcm_KeyRingText         EncryptionKeyRing text form (TEXT, adds base64)
//   BM_AesGcm_BareEvp             the limit: one reused EVP_CIPHER_CTX, nonce from RAND_bytes,
//                                 the same AAD, no allocation
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/jwt_key_ring.h"
#include "locksmith/random.h"

#ifdef LOCKSMITH_BENCH_HAVE_LIBJWT
#include <jwt.h>
#endif

namespace locksmith {
namespace {

// Two 32-byte HS256 keys (bench only) and version ids of equal length, so every token has the
// same size whichever key signed it.
constexpr std::string_view kOldSecret = "bench-jwt-secret-old-0123456789ab";
constexpr std::string_view kNewSecret = "bench-jwt-secret-new-0123456789ab";
constexpr const char* kOldKid = "v0000000001";
constexpr const char* kNewKid = "v0000000002";
constexpr std::string_view kClaims =
    R"({"sub":"u1","iss":"https://auth.example.com","aud":"api","scope":"read write"})";

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "keys_bench: %s\n", what);
  std::abort();
}

JwtKeyMaterial Material(const char* kid, std::string_view secret,
                        std::chrono::system_clock::time_point created) {
  return JwtKeyMaterial{kid, SecretValue(secret), created};
}

struct JwtFixture {
  JwtFixture() {
    const auto now = SystemClock().WallNow();
    JwtOptions options;  // HS256, sign_after 1h, retire_after 2h
    // One key: the steady state.
    single = JwtKeyRing::FromKeys(Material(kNewKid, kNewSecret, now - std::chrono::hours(3)),
                                  std::nullopt, options, SystemClock())
                 .value();
    // Mid-rotation, 90 minutes after the new version appeared: the new key signs, the old one
    // still verifies (until 2h).
    rotating = JwtKeyRing::FromKeys(Material(kNewKid, kNewSecret, now - std::chrono::minutes(90)),
                                    Material(kOldKid, kOldSecret, now - std::chrono::hours(100)),
                                    options, SystemClock())
                   .value();
    // Thirty minutes in: the old key still signs.
    auto early = JwtKeyRing::FromKeys(Material(kNewKid, kNewSecret, now - std::chrono::minutes(30)),
                                      Material(kOldKid, kOldSecret, now - std::chrono::hours(100)),
                                      options, SystemClock())
                     .value();
    token = single->Sign(kClaims, std::chrono::hours(24)).value();
    new_token = rotating->Sign(kClaims, std::chrono::hours(24)).value();
    old_token = early->Sign(kClaims, std::chrono::hours(24)).value();
    if (rotating->VerifyingKids().size() != 2 || early->SigningKid() != kOldKid ||
        rotating->SigningKid() != kNewKid) {
      Die("rotation fixture is not mid-rotation");
    }
    // A kid-less token signed by the old key: header {"alg":"HS256","typ":"JWT"}.
    const std::string header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
    const std::string payload =
        old_token.substr(old_token.find('.') + 1, old_token.rfind('.') - old_token.find('.') - 1);
    const std::string signing_input = header + "." + payload;
    std::array<unsigned char, 32> mac;
    std::size_t len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kOldSecret.data(), kOldSecret.size(),
                  reinterpret_cast<const unsigned char*>(signing_input.data()),
                  signing_input.size(), mac.data(), mac.size(), &len) == nullptr) {
      Die("EVP_Q_mac failed");
    }
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string sig;
    for (std::size_t i = 0; i < mac.size(); i += 3) {
      const std::uint32_t n = (std::uint32_t{mac[i]} << 16) |
                              (i + 1 < mac.size() ? std::uint32_t{mac[i + 1]} << 8 : 0) |
                              (i + 2 < mac.size() ? std::uint32_t{mac[i + 2]} : 0);
      sig += kAlphabet[(n >> 18) & 63];
      sig += kAlphabet[(n >> 12) & 63];
      if (i + 1 < mac.size()) sig += kAlphabet[(n >> 6) & 63];
      if (i + 2 < mac.size()) sig += kAlphabet[n & 63];
    }
    kidless_old_token = signing_input + "." + sig;
    for (const std::string* t : {&new_token, &old_token, &kidless_old_token}) {
      if (!rotating->Verify(*t).ok()) {
        Die("a rotation token does not verify");
      }
    }
    if (!single->Verify(token).ok()) {
      Die("the steady-state token does not verify");
    }
  }
  JwtKeyRingPtr single;
  JwtKeyRingPtr rotating;
  std::string token;              // signed by the only key of `single`
  std::string new_token;          // kid = new
  std::string old_token;          // kid = old
  std::string kidless_old_token;  // no kid, signed by the old key
};

JwtFixture& Jwt() {
  static JwtFixture fixture;
  return fixture;
}

void VerifyLoop(benchmark::State& state, const JwtKeyRing& ring, const std::string& token) {
  for (auto _ : state) {
    auto verified = ring.Verify(token);
    if (!verified.ok()) {
      state.SkipWithError("verify failed");
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtVerify_KeyRing(benchmark::State& state) {
  VerifyLoop(state, *Jwt().single, Jwt().token);
}
BENCHMARK(BM_JwtVerify_KeyRing);

void BM_JwtVerify_Rotation_OldKid(benchmark::State& state) {
  VerifyLoop(state, *Jwt().rotating, Jwt().old_token);
}
BENCHMARK(BM_JwtVerify_Rotation_OldKid);

void BM_JwtVerify_Rotation_NewKid(benchmark::State& state) {
  VerifyLoop(state, *Jwt().rotating, Jwt().new_token);
}
BENCHMARK(BM_JwtVerify_Rotation_NewKid);

void BM_JwtVerify_Rotation_NoKid(benchmark::State& state) {
  VerifyLoop(state, *Jwt().rotating, Jwt().kidless_old_token);
}
BENCHMARK(BM_JwtVerify_Rotation_NoKid);

#ifdef LOCKSMITH_BENCH_HAVE_LIBJWT
void BM_JwtVerify_Libjwt(benchmark::State& state) {
  const std::string& token = Jwt().token;
  const auto* key = reinterpret_cast<const unsigned char*>(kNewSecret.data());
  const int key_len = static_cast<int>(kNewSecret.size());
  for (auto _ : state) {
    jwt_t* jwt = nullptr;
    // libjwt 1.x checks the signature in jwt_decode; alg and exp are the caller's job.
    bool ok =
        jwt_decode(&jwt, token.c_str(), key, key_len) == 0 && jwt_get_alg(jwt) == JWT_ALG_HS256;
    ok = ok && jwt_get_grant_int(jwt, "exp") > static_cast<long>(std::time(nullptr));
    jwt_free(jwt);
    if (!ok) {
      state.SkipWithError("libjwt rejected the token");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtVerify_Libjwt);
#endif

// base64url without padding -> bytes; false on a bad character or length.
bool Base64UrlDecode(std::string_view in, std::uint8_t* out, std::size_t out_cap,
                     std::size_t& out_len) {
  static const auto table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  if (in.size() % 4 == 1 || in.size() / 4 * 3 + 2 > out_cap) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  out_len = 0;
  for (char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[out_len++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  return true;
}

// The limit: what any HS256 verifier must do at least. `prekeyed`: the context keeps the key
// between calls (as the key ring's per-thread contexts do), so only the MAC itself is paid.
void BareHmacLoop(benchmark::State& state, bool prekeyed) {
  const std::string& token = Jwt().token;
  const std::string_view view(token);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  const auto* key = reinterpret_cast<const unsigned char*>(kNewSecret.data());
  if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1 ||
      EVP_MAC_init(ctx, key, kNewSecret.size(), nullptr) != 1) {
    Die("EVP_MAC setup failed");
  }
  for (auto _ : state) {
    const std::size_t dot = view.rfind('.');
    std::array<std::uint8_t, 48> sig;
    std::size_t sig_len = 0;
    std::array<std::uint8_t, 32> out;
    std::size_t out_len = 0;
    bool ok =
        Base64UrlDecode(view.substr(dot + 1), sig.data(), sig.size(), sig_len) && sig_len == 32 &&
        EVP_MAC_init(ctx, prekeyed ? nullptr : key, prekeyed ? 0 : kNewSecret.size(), nullptr) ==
            1 &&
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(view.data()), dot) == 1 &&
        EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1 &&
        CRYPTO_memcmp(out.data(), sig.data(), 32) == 0;
    if (!ok) {
      state.SkipWithError("bare HMAC did not verify");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtVerify_BareHmac(benchmark::State& state) { BareHmacLoop(state, false); }
BENCHMARK(BM_JwtVerify_BareHmac);

void BM_JwtVerify_BareHmacPrekeyed(benchmark::State& state) { BareHmacLoop(state, true); }
BENCHMARK(BM_JwtVerify_BareHmacPrekeyed);

// --- AES-256-GCM ---

constexpr std::string_view kAesKeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // 0..31
constexpr std::string_view kContext = "users.encrypted_email.42";

std::vector<std::uint8_t> Field() {
  std::vector<std::uint8_t> field(64);
  for (std::size_t i = 0; i < field.size(); ++i) field[i] = static_cast<std::uint8_t>('a' + i % 26);
  return field;
}

EncryptionKeyRingPtr AesRing() {
  std::vector<EncryptionKeyMaterial> keys;
  keys.push_back({"v0000000001", SecretValue(kAesKeyBase64)});
  return EncryptionKeyRing::FromKeys(std::move(keys), {}, SystemRandom(), nullptr).value();
}

void BM_AesGcm_KeyRingBinary(benchmark::State& state) {
  auto ring = AesRing();
  const std::vector<std::uint8_t> field = Field();
  for (auto _ : state) {
    auto sealed = ring->EncryptBinary(field, kContext);
    auto opened = sealed.ok() ? ring->DecryptBinary(*sealed, kContext) : sealed.error();
    if (!opened.ok() || opened->size() != field.size()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AesGcm_KeyRingBinary);

void BM_AesGcm_KeyRingText(benchmark::State& state) {
  auto ring = AesRing();
  const std::vector<std::uint8_t> field = Field();
  for (auto _ : state) {
    auto sealed = ring->EncryptText(field, kContext);
    auto opened = sealed.ok() ? ring->DecryptText(*sealed, kContext) : sealed.error();
    if (!opened.ok() || opened->size() != field.size()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AesGcm_KeyRingText);

// The limit: one context reused for both directions, output into fixed buffers.
void BM_AesGcm_BareEvp(benchmark::State& state) {
  std::array<std::uint8_t, 32> key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const std::vector<std::uint8_t> field = Field();
  // The ring's associated data: format version, 4-byte key id, context.
  std::vector<std::uint8_t> aad{1, 0xde, 0xad, 0xbe, 0xef};
  aad.insert(aad.end(), kContext.begin(), kContext.end());
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (cipher == nullptr || ctx == nullptr ||
      EVP_CipherInit_ex2(ctx, cipher, key.data(), nullptr, 1, nullptr) != 1) {
    Die("EVP setup failed");
  }
  std::array<std::uint8_t, 12> nonce;
  std::array<std::uint8_t, 64> sealed;
  std::array<std::uint8_t, 16> tag;
  std::array<std::uint8_t, 64> opened;
  const int aad_len = static_cast<int>(aad.size());
  for (auto _ : state) {
    int len = 0;
    bool ok = RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1 &&
              EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 1, nullptr) == 1 &&
              EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), aad_len) == 1 &&
              EVP_CipherUpdate(ctx, sealed.data(), &len, field.data(), 64) == 1 &&
              EVP_CipherFinal_ex(ctx, sealed.data() + len, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data()) == 1;
    ok = ok && EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), 0, nullptr) == 1 &&
         EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), aad_len) == 1 &&
         EVP_CipherUpdate(ctx, opened.data(), &len, sealed.data(), 64) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
         EVP_CipherFinal_ex(ctx, opened.data() + len, &len) == 1;
    if (!ok || std::memcmp(opened.data(), field.data(), 64) != 0) {
      state.SkipWithError("bare EVP round trip failed");
      break;
    }
    benchmark::DoNotOptimize(opened);
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AesGcm_BareEvp);

}  // namespace
}  // namespace locksmith
