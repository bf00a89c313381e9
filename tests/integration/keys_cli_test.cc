// The key commands through the real `locksmith` program on the embedded store: `rotate` makes
// fresh key material, `jwt sign` / `jwt verify`, `encrypt` / `decrypt` (stdin to stdout), and a
// rotation in between. Leak scan: the key material (read with `get` only inside the test) never
// appears in any other command's output, and neither a token's signature nor a plaintext appears
// in error output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "integration/child_process.h"
#include "local_store_env.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using json = nlohmann::json;
using testing::ChildProcess;
using testing::ProcessResult;

constexpr char kCli[] = LOCKSMITH_CLI_PATH;
constexpr int kExitFailure = 1;
constexpr int kExitNotFound = 3;
constexpr int kExitDenied = 4;

// stderr without the library's info log lines ("<time> info locksmith: ..."): what the command
// itself said.
std::string WithoutInfoLogs(const std::string& err) {
  std::string out;
  std::size_t start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    end = end == std::string::npos ? err.size() : end + 1;
    std::string line = err.substr(start, end - start);
    if (line.find(" info locksmith: ") == std::string::npos) {
      out += line;
    }
    start = end;
  }
  return out;
}

class KeysCliTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Nothing any command printed (apart from `get`'s stdout) holds key material, and no error
    // output holds a signature or a plaintext.
    for (const std::string& secret : secrets_) {
      for (const std::string& text : captured_) {
        EXPECT_THAT(text, Not(HasSubstr(secret))) << "key material leaked";
      }
    }
    for (const std::string& secret : error_secrets_) {
      for (const std::string& text : errors_) {
        EXPECT_THAT(text, Not(HasSubstr(secret))) << "a signature or plaintext leaked";
      }
    }
  }

  std::vector<std::string> Env() const { return testing::LocalStoreEnv(dir_.path()); }

  // Runs the program; its stdout and stderr join the leak scan.
  ProcessResult Run(std::vector<std::string> args, std::optional<std::string> input = {}) {
    ProcessResult result = RunUnscanned(std::move(args), std::move(input));
    captured_.push_back(result.out);
    captured_.push_back(result.err);
    errors_.push_back(result.err);
    return result;
  }

  ProcessResult RunUnscanned(std::vector<std::string> args, std::optional<std::string> input = {}) {
    args.insert(args.begin(), kCli);
    ChildProcess child(args, Env());
    EXPECT_TRUE(child.started());
    if (input) {
      child.WriteStdinAndClose(*input);
    }
    return child.Finish();
  }

  // `rotate NAME`; returns the new version id.
  std::string Rotate(const std::string& name) {
    ProcessResult rotate = Run({"rotate", name});
    EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
    return Trim(rotate.out);
  }

  // The current key material of `name` (via `get`, whose stdout is not scanned), added to the
  // values that must never appear elsewhere: its text and, when it is base64, the raw bytes' hex.
  std::string KeyMaterial(const std::string& name) {
    ProcessResult get = RunUnscanned({"get", name});
    EXPECT_EQ(get.exit_code, 0) << get.err;
    const std::string value = Trim(get.out);
    EXPECT_GE(value.size(), 40u);  // base64 of 32 random bytes
    secrets_.push_back(value);
    auto raw = internal::Base64Decode(value);
    if (raw.ok()) {
      EXPECT_EQ(raw->size(), 32u);
      secrets_.push_back(internal::HexEncode(*raw));
    }
    errors_.push_back(get.err);
    return value;
  }

  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
      s.pop_back();
    }
    return s;
  }

  static std::string Signature(const std::string& token) {
    return token.substr(token.rfind('.') + 1);
  }

  testing::TempDir dir_;
  std::vector<std::string> captured_;       // must hold no key material
  std::vector<std::string> errors_;         // stderr of every command
  std::vector<std::string> secrets_;        // key material
  std::vector<std::string> error_secrets_;  // signatures and plaintexts
};

TEST_F(KeysCliTest, JwtSignVerifyTamperAndRotate) {
  Rotate("jwt-secret");
  KeyMaterial("jwt-secret");

  ProcessResult sign =
      Run({"jwt", "sign", "--key", "jwt-secret", "--claims", R"({"sub":"u1"})", "--ttl", "15m"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  const std::string token = Trim(sign.out);
  ASSERT_THAT(token, MatchesRegex("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"));
  error_secrets_.push_back(Signature(token));
  EXPECT_EQ(WithoutInfoLogs(sign.err), "");

  // Issue 9: the token used to be accepted only as an argument (visible in /proc/PID/cmdline).
  // From stdin ("-" or no argument) it never appears in argv; as an argument it still works but
  // warns.
  ProcessResult verify = Run({"jwt", "verify", "--key", "jwt-secret", "-"}, token + "\n");
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(WithoutInfoLogs(verify.err), "");
  json claims = json::parse(verify.out);
  EXPECT_EQ(claims["sub"], "u1");
  ProcessResult from_stdin = Run({"jwt", "verify", "--key", "jwt-secret"}, token);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(json::parse(from_stdin.out)["sub"], "u1");
  ProcessResult from_arg = Run({"jwt", "verify", "--key", "jwt-secret", token});
  ASSERT_EQ(from_arg.exit_code, 0) << from_arg.err;
  EXPECT_THAT(from_arg.err, HasSubstr("visible to other local users"));
  EXPECT_THAT(from_arg.err, Not(HasSubstr(token)));
  EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 900);

  // Tampered payload (claims of someone else, same signature): rejected, not echoed.
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.rfind('.');
  const std::string forged_payload =
      internal::Base64UrlEncode(internal::AsBytes(R"({"sub":"admin","exp":9999999999})"));
  const std::string tampered = token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2);
  ProcessResult bad = Run({"jwt", "verify", "--key", "jwt-secret", "-"}, tampered);
  EXPECT_EQ(bad.exit_code, kExitDenied);
  EXPECT_EQ(bad.out, "");
  EXPECT_THAT(WithoutInfoLogs(bad.err), StartsWith("locksmith: jwt: bad signature"));
  EXPECT_THAT(bad.err, Not(HasSubstr(forged_payload)));
  EXPECT_THAT(bad.err, Not(HasSubstr(token.substr(0, dot1))));

  // Tampered signature (one character changed).
  std::string bad_sig = token;
  bad_sig[dot2 + 3] = bad_sig[dot2 + 3] == 'A' ? 'B' : 'A';
  error_secrets_.push_back(Signature(bad_sig));
  ProcessResult bad_sig_run = Run({"jwt", "verify", "--key", "jwt-secret", bad_sig});
  EXPECT_EQ(bad_sig_run.exit_code, kExitDenied);
  EXPECT_THAT(bad_sig_run.err, HasSubstr("bad signature"));

  ProcessResult garbage = Run({"jwt", "verify", "--key", "jwt-secret", "not-a-token"});
  EXPECT_EQ(garbage.exit_code, kExitDenied);
  EXPECT_THAT(garbage.err, HasSubstr("malformed"));
  EXPECT_THAT(garbage.err, Not(HasSubstr("not-a-token")));

  // Rotation: the new version verifies only for its first hour, the old one keeps signing, and
  // tokens issued before the rotation still verify.
  Rotate("jwt-secret");
  KeyMaterial("jwt-secret");
  ProcessResult after = Run({"jwt", "verify", "--key", "jwt-secret", token});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  ProcessResult resign = Run({"jwt", "sign", "--claims", R"({"sub":"u2"})"});
  ASSERT_EQ(resign.exit_code, 0) << resign.err;
  const std::string token2 = Trim(resign.out);
  error_secrets_.push_back(Signature(token2));
  EXPECT_EQ(token2.substr(0, dot1), token.substr(0, dot1));  // same header: the same kid signs
  ProcessResult verify2 = Run({"jwt", "verify", token2});
  ASSERT_EQ(verify2.exit_code, 0) << verify2.err;
  EXPECT_EQ(json::parse(verify2.out)["sub"], "u2");
}

TEST_F(KeysCliTest, JwtWithoutAKeyFails) {
  ProcessResult sign = Run({"jwt", "sign", "--claims", R"({"sub":"u1"})"});
  EXPECT_EQ(sign.exit_code, kExitNotFound) << sign.err;
  EXPECT_THAT(WithoutInfoLogs(sign.err), StartsWith("locksmith: "));
  EXPECT_EQ(sign.out, "");
  ASSERT_EQ(RunUnscanned({"put", "short-jwt-secret"}, "too-short").exit_code, 0);
  secrets_.push_back("too-short");
  ProcessResult short_key = Run({"jwt", "sign", "--key", "short-jwt-secret"});
  EXPECT_NE(short_key.exit_code, 0);
  EXPECT_THAT(short_key.err, HasSubstr("at least 32 bytes"));
  Rotate("jwt-secret");
  KeyMaterial("jwt-secret");
  ProcessResult bad_claims = Run({"jwt", "sign", "--claims", "[1,2]"});
  EXPECT_NE(bad_claims.exit_code, 0);
  EXPECT_THAT(bad_claims.err, HasSubstr("JSON object"));
}

TEST_F(KeysCliTest, EncryptDecryptWrongAadAndRotation) {
  Rotate("db-encryption-key");
  KeyMaterial("db-encryption-key");
  const std::string plaintext = "alice-PLANTED@example.com";
  error_secrets_.push_back(plaintext);

  ProcessResult encrypt = Run(
      {"encrypt", "--key", "db-encryption-key", "--aad", "users.encrypted_email.42"}, plaintext);
  ASSERT_EQ(encrypt.exit_code, 0) << encrypt.err;
  const std::string ciphertext = Trim(encrypt.out);
  ASSERT_THAT(ciphertext, MatchesRegex("ls1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*"));
  EXPECT_THAT(ciphertext, Not(HasSubstr(plaintext)));
  const std::string first_key_id = ciphertext.substr(4, 8);

  // (decrypt's stdout is the plaintext: only its stderr is scanned.)
  ProcessResult decrypt = RunUnscanned(
      {"decrypt", "--key", "db-encryption-key", "--aad", "users.encrypted_email.42"}, encrypt.out);
  errors_.push_back(decrypt.err);
  captured_.push_back(decrypt.err);
  ASSERT_EQ(decrypt.exit_code, 0) << decrypt.err;
  EXPECT_EQ(decrypt.out, plaintext);  // exactly, no newline added

  // The same ciphertext in another row: fails, with one message and no plaintext.
  ProcessResult wrong_aad = Run(
      {"decrypt", "--key", "db-encryption-key", "--aad", "users.encrypted_email.43"}, encrypt.out);
  EXPECT_EQ(wrong_aad.exit_code, kExitFailure);
  EXPECT_EQ(wrong_aad.out, "");
  EXPECT_EQ(WithoutInfoLogs(wrong_aad.err), "locksmith: decryption failed\n");

  std::string flipped = ciphertext;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  ProcessResult tampered = Run({"decrypt", "--aad", "users.encrypted_email.42"}, flipped);
  EXPECT_EQ(tampered.exit_code, kExitFailure);
  EXPECT_EQ(WithoutInfoLogs(tampered.err), "locksmith: decryption failed\n");
  ProcessResult garbage = Run({"decrypt", "--aad", "users.encrypted_email.42"}, "not a value");
  EXPECT_EQ(WithoutInfoLogs(garbage.err), "locksmith: decryption failed\n");

  // After a rotation: new values use the new key, old ones still decrypt.
  Rotate("db-encryption-key");
  KeyMaterial("db-encryption-key");
  ProcessResult old_value =
      RunUnscanned({"decrypt", "--aad", "users.encrypted_email.42"}, encrypt.out);
  errors_.push_back(old_value.err);
  captured_.push_back(old_value.err);
  ASSERT_EQ(old_value.exit_code, 0) << old_value.err;
  EXPECT_EQ(old_value.out, plaintext);
  ProcessResult encrypt2 = Run({"encrypt", "--aad", "users.encrypted_email.42"}, plaintext);
  ASSERT_EQ(encrypt2.exit_code, 0) << encrypt2.err;
  const std::string ciphertext2 = Trim(encrypt2.out);
  EXPECT_NE(ciphertext2.substr(4, 8), first_key_id);
  ProcessResult new_value =
      RunUnscanned({"decrypt", "--aad", "users.encrypted_email.42"}, encrypt2.out);
  errors_.push_back(new_value.err);
  captured_.push_back(new_value.err);
  ASSERT_EQ(new_value.exit_code, 0) << new_value.err;
  EXPECT_EQ(new_value.out, plaintext);
}

TEST_F(KeysCliTest, EncryptionKeyProblemsAreReported) {
  ProcessResult missing = Run({"encrypt", "--aad", "users.encrypted_email.1"}, "x");
  EXPECT_EQ(missing.exit_code, kExitNotFound) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("db-encryption-key"));
  // A key that is not base64 of 32 bytes is a configuration error, and is not echoed.
  const std::string bad_key = "not-a-key-PLANTED";
  ASSERT_EQ(RunUnscanned({"put", "db-encryption-key"}, bad_key).exit_code, 0);
  secrets_.push_back(bad_key);
  ProcessResult bad = Run({"encrypt", "--aad", "users.encrypted_email.1"}, "x");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("base64 of exactly 32 bytes"));
  ProcessResult no_aad = Run({"encrypt"}, "x");
  EXPECT_EQ(no_aad.exit_code, 2);
}

}  // namespace
}  // namespace locksmith
