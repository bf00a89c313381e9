// The key commands of the `locksmith` CLI as library functions (see commands.h for the others):
// `jwt sign`, `jwt verify`, `encrypt`, `decrypt`. None of them prints key material; errors never
// quote a token or a plaintext.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/clock.h"
#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct JwtSignCommandOptions {
  std::string key = "jwt-secret";
  std::string claims;       // a JSON object; empty: {}
  std::string ttl = "15m";  // ParseDuration syntax
};
// Prints the token and a newline.
Result<void> JwtSignCommand(SecretsManager& manager, Clock& clock,
                            const JwtSignCommandOptions& options, std::ostream& out);

// Prints the verified claims (JSON) and a newline; fails (kUnauthenticated) for a token that is
// not valid now.
Result<void> JwtVerifyCommand(SecretsManager& manager, Clock& clock, std::string_view key,
                              std::string_view token, std::ostream& out);

// Reads the plaintext from `in` (to EOF, at most 1 MiB), prints the text form
// ("ls1:<key id>:<base64>") and a newline.
Result<void> EncryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                            std::string_view key, std::string_view aad, std::istream& in,
                            std::ostream& out);
// Reads a text-form ciphertext from `in` (surrounding whitespace ignored) and writes the
// plaintext to `out` as it was encrypted (no newline added).
Result<void> DecryptCommand(SecretsManager& manager, Random& random, Metrics* metrics,
                            std::string_view key, std::string_view aad, std::istream& in,
                            std::ostream& out);

}  // namespace locksmith
