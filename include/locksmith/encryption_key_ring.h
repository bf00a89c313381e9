// EncryptionKeyRing: column-level encryption (AES-256-GCM) over the versions of one secret
// (e.g. "db-encryption-key"). Encrypts with the primary (current) key; decrypts with any key in
// the ring, chosen by the key id carried in the ciphertext (docs/ciphertext-format.md). The
// associated data (`context`, e.g. "users.encrypted_email.42") binds a ciphertext to its place.
// Every failed decrypt, whatever the cause, is the same kDataLoss "decryption failed" error and is
// counted in Metrics::RecordDecryptionFailure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

struct EncryptionKeyRingOptions {
  // Versions kept in the ring besides current and previous (older keys still needed by rows that
  // have not been re-encrypted yet).
  std::vector<std::string> extra_version_ids;
  // A warning is logged once per key when its encryption count in this process reaches this.
  // Random 96-bit nonces are safe for 2^32 encryptions per key (NIST SP 800-38D 8.3).
  std::uint64_t encryption_warning_threshold = std::uint64_t{1} << 30;
};

// One version of the key secret: base64 of exactly 32 bytes.
struct EncryptionKeyMaterial {
  std::string version_id;
  SecretValue base64_key;
};

// The key id written into ciphertexts for a version id: the first 8 hex characters of
// SHA-256(version id).
std::string EncryptionKeyId(std::string_view version_id);

// Thread-safe: every method may be called from any thread at once.
class EncryptionKeyRing {
 public:
  virtual ~EncryptionKeyRing() = default;

  // Text form for TEXT columns: "ls1:<key id>:<base64(nonce || ciphertext || tag)>".
  virtual Result<std::string> EncryptText(std::span<const std::uint8_t> plaintext,
                                          std::string_view context) = 0;
  virtual Result<SecretValue> DecryptText(std::string_view ciphertext,
                                          std::string_view context) const = 0;
  // Binary form for BYTEA columns: 0x01 || key id (4 bytes) || nonce || ciphertext || tag.
  virtual Result<std::vector<std::uint8_t>> EncryptBinary(std::span<const std::uint8_t> plaintext,
                                                          std::string_view context) = 0;
  virtual Result<SecretValue> DecryptBinary(std::span<const std::uint8_t> ciphertext,
                                            std::string_view context) const = 0;

  // The primary key's id, and every key id in the ring (primary first).
  virtual std::string PrimaryKeyId() const = 0;
  virtual std::vector<std::string> KeyIds() const = 0;
  // Encryptions done in this process with `key_id` (counts survive rebuilds of the ring).
  virtual std::uint64_t EncryptionCount(std::string_view key_id) const = 0;

  // Rebuilds from the manager now (a subscription does this on every rotation). On failure the
  // previous key set stays in use.
  virtual Result<void> Reload() = 0;

  // Loads current, previous and `options.extra_version_ids` of `secret_name` and subscribes to
  // its changes. Errors: those of the manager; kInvalidArgument if a key is not base64 of 32
  // bytes (a configuration error, reported at load). `manager`, `random` and `metrics` (may be
  // null) must outlive the ring.
  static Result<std::unique_ptr<EncryptionKeyRing>> Create(SecretsManager& manager,
                                                           std::string secret_name,
                                                           EncryptionKeyRingOptions options,
                                                           Random& random, Metrics* metrics);
  // A fixed ring: keys[0] is primary. For tests, benchmarks and tools.
  static Result<std::unique_ptr<EncryptionKeyRing>> FromKeys(
      std::vector<EncryptionKeyMaterial> keys, EncryptionKeyRingOptions options, Random& random,
      Metrics* metrics, std::string metric_name = "db-encryption-key");
};

using EncryptionKeyRingPtr = std::unique_ptr<EncryptionKeyRing>;

}  // namespace locksmith
