// Version ids for the dotenv back end: HMAC-SHA-256 of the value under a random key kept in a
// private file, so ids stay the same across restarts (encryption key ids are derived from them:
// docs/ciphertext-format.md) yet reveal nothing about the value to whoever sees them (describe,
// get --json, the agent). A bare hash let a dictionary recover short values.
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>

#include "core/crypto.h"
#include "core/private_file.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "providers/dotenv/dotenv_internal.h"

namespace locksmith::internal {
namespace {

constexpr std::size_t kIdKeySize = 32;
constexpr std::string_view kIdKeyWhat = "dotenv version-id key file";

Result<SecretValue> DecodeIdKey(const SecretValue& text, const std::filesystem::path& path) {
  auto decoded = Base64DecodeSecret(Trim(text.RevealUnsafe()));
  if (!decoded.ok() || decoded->size() != kIdKeySize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(kIdKeyWhat) + " '" + path.string() +
                         "' is not the base64 of exactly 32 bytes; delete it to get a new one "
                         "(version ids, and the key ids of ciphertexts made with dotenv keys, "
                         "change)");
  }
  return std::move(decoded).value();
}

Result<SecretValue> RandomIdKey(Random& random) {
  SecretValue key = SecretValue::Zeroed(kIdKeySize);
  LOCKSMITH_RETURN_IF_ERROR(random.Fill(key.MutableBytesUnsafe()));
  return key;
}

}  // namespace

Result<SecretValue> LoadOrCreateDotenvIdKey(const std::filesystem::path& path, Random& random) {
  LOCKSMITH_RETURN_IF_ERROR(MakePrivateDirectories(path.parent_path(), "dotenv version-id key"));
  SecretFileRules rules;
  rules.private_to_owner = true;
  rules.max_size = 1024;
  for (int round = 0; round < 2; ++round) {
    Result<SecretValue> text = ReadSecretFile(path, kIdKeyWhat, rules);
    if (text.ok()) {
      return DecodeIdKey(*text, path);
    }
    if (text.error().code != ErrorCode::kNotFound || round > 0) {
      return std::move(text).error();
    }
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue raw, RandomIdKey(random));
    SecretValue encoded = Base64EncodeSecret(raw.RevealBytesUnsafe());
    SecretValue line = SecretValue::Zeroed(encoded.size() + 1);
    std::copy(encoded.RevealBytesUnsafe().begin(), encoded.RevealBytesUnsafe().end(),
              line.MutableBytesUnsafe().begin());
    line.MutableBytesUnsafe().back() = '\n';
    LOCKSMITH_RETURN_IF_ERROR(CreatePrivateFileOnce(path, line.RevealBytesUnsafe(), kIdKeyWhat));
  }
  return MakeError(ErrorCode::kInternal, "dotenv version-id key: unreachable");
}

Result<SecretValue> DotenvIdKey(const std::filesystem::path& path, Random& random) {
  if (!path.empty()) {
    Result<SecretValue> key = LoadOrCreateDotenvIdKey(path, random);
    if (key.ok()) {
      return key;
    }
    Logger()->warn(
        "dotenv back end: {}; using a key for this process only, so version ids (and the key ids "
        "of ciphertexts encrypted with keys from the .env file) change when it restarts",
        key.error().message);
  } else {
    Logger()->info(
        "dotenv back end: no version-id key file configured; version ids change when the "
        "process restarts");
  }
  return RandomIdKey(random);
}

Result<std::string> DotenvVersionId(const SecretValue& id_key, const SecretValue& value) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::vector<std::uint8_t> mac,
                             Hmac("SHA256", id_key.RevealBytesUnsafe(), value.RevealBytesUnsafe()));
  std::string hex = HexEncode(mac);
  OPENSSL_cleanse(mac.data(), mac.size());
  return hex.substr(0, 16);
}

}  // namespace locksmith::internal
