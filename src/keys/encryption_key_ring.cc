// EncryptionKeyRing: an immutable key set (primary first) in a KeySetHolder that swaps in a new
// set when the key secret rotates. Formats: docs/ciphertext-format.md.
#include "locksmith/encryption_key_ring.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "core/crypto.h"
#include "keys/key_set.h"
#include "keys/primitives.h"
#include "locksmith/log.h"

namespace locksmith {
namespace {

constexpr std::uint8_t kFormatVersion = 1;
constexpr std::string_view kTextPrefix = "ls1:";
constexpr std::size_t kKeyIdSize = 4;
constexpr std::size_t kKeyIdHexSize = 2 * kKeyIdSize;
constexpr std::size_t kBinaryHeaderSize = 1 + kKeyIdSize;
constexpr std::size_t kAadHeaderSize = 1 + kKeyIdSize;

struct Counter {
  std::atomic<std::uint64_t> count{0};
  std::atomic<bool> warned{false};
};

struct Key {
  std::string version_id;
  std::string key_id;  // 8 hex characters
  std::array<std::uint8_t, kKeyIdSize> key_id_bytes{};
  SecretValue key;                                  // 32 raw bytes
  std::uint64_t serial = internal::NewKeySerial();  // lets a thread keep the cipher keyed
  std::shared_ptr<Counter> counter;

  // The lookup id: the key id's bytes, as in the ciphertext.
  std::string_view id() const { return AsChars(key_id_bytes); }
  static std::string_view AsChars(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
};

using KeySet = internal::KeySet<Key>;

std::array<std::uint8_t, kKeyIdSize> KeyIdBytes(std::string_view version_id) {
  const std::vector<std::uint8_t> digest = internal::Sha256(internal::AsBytes(version_id));
  std::array<std::uint8_t, kKeyIdSize> id{};
  std::copy_n(digest.begin(), kKeyIdSize, id.begin());
  return id;
}

Error DecryptionFailed() { return MakeError(ErrorCode::kDataLoss, "decryption failed"); }

// Associated data: format version || key id || context. The header is bound as well, so the
// text and binary forms of one ciphertext carry the same authenticated bytes.
void BuildAad(const Key& key, std::string_view context, std::vector<std::uint8_t>& aad) {
  aad.clear();
  aad.reserve(kAadHeaderSize + context.size());
  aad.push_back(kFormatVersion);
  aad.insert(aad.end(), key.key_id_bytes.begin(), key.key_id_bytes.end());
  aad.insert(aad.end(), context.begin(), context.end());
}

class EncryptionKeyRingImpl final : public EncryptionKeyRing {
 public:
  EncryptionKeyRingImpl(SecretsManager* manager, std::string name, EncryptionKeyRingOptions options,
                        Random& random, Metrics* metrics)
      : options_(std::move(options)),
        random_(random),
        metrics_(metrics),
        keys_(
            manager, std::move(name), "encryption key ring", options_.extra_version_ids,
            [this](std::vector<Secret> versions) { return BuildSet(std::move(versions)); },
            [](const KeySet& set) { return "primary key id " + set.primary().key_id; }) {}

  Result<void> Start() { return keys_.Start(); }

  // Builds a set from versions (primary first); counters carry over by key id.
  Result<std::shared_ptr<const KeySet>> BuildSet(std::vector<EncryptionKeyMaterial> materials) {
    if (materials.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "an encryption key ring needs a key");
    }
    auto set = std::make_shared<KeySet>();
    for (EncryptionKeyMaterial& m : materials) {
      Key key;
      key.version_id = m.version_id;
      key.key_id = EncryptionKeyId(m.version_id);
      key.key_id_bytes = KeyIdBytes(m.version_id);
      auto raw = internal::Base64DecodeSecret(m.base64_key.RevealUnsafe());
      if (!raw.ok() || raw->size() != internal::kGcmKeySize) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "secret '" + keys_.name() + "' version " + m.version_id +
                             ": an encryption key must be base64 of exactly 32 bytes");
      }
      key.key = std::move(raw).value();
      if (const Key* other = set->Find(key.id())) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "secret '" + keys_.name() + "': versions " + other->version_id + " and " +
                             key.version_id + " map to the same key id " + key.key_id);
      }
      {
        std::lock_guard lock(counters_mu_);
        auto& counter = counters_[key.key_id];
        if (!counter) {
          counter = std::make_shared<Counter>();
        }
        key.counter = counter;
      }
      set->keys.push_back(std::move(key));
    }
    return std::shared_ptr<const KeySet>(std::move(set));
  }

  // From the manager: current, previous, then the extra versions.
  Result<std::shared_ptr<const KeySet>> BuildSet(std::vector<Secret> versions) {
    std::vector<EncryptionKeyMaterial> materials;
    for (Secret& version : versions) {
      materials.push_back({version.version.version_id, std::move(version.value)});
    }
    return BuildSet(std::move(materials));
  }

  void Install(std::shared_ptr<const KeySet> set) { keys_.Install(std::move(set)); }

  Result<std::string> EncryptText(std::span<const std::uint8_t> plaintext,
                                  std::string_view context) override {
    std::vector<std::uint8_t> sealed;
    std::string key_id;
    LOCKSMITH_RETURN_IF_ERROR(Seal(plaintext, context, 0, sealed, key_id));
    std::string text;
    text.reserve(kTextPrefix.size() + kKeyIdHexSize + 1 + (sealed.size() + 2) / 3 * 4);
    text += kTextPrefix;
    text += key_id;
    text += ':';
    text += internal::Base64Encode(sealed);
    return text;
  }

  Result<SecretValue> DecryptText(std::string_view ciphertext,
                                  std::string_view context) const override {
    // "ls1:" 8-hex ':' base64
    if (ciphertext.size() < kTextPrefix.size() + kKeyIdHexSize + 1 ||
        ciphertext.substr(0, kTextPrefix.size()) != kTextPrefix ||
        ciphertext[kTextPrefix.size() + kKeyIdHexSize] != ':') {
      return Fail();
    }
    const std::string_view hex = ciphertext.substr(kTextPrefix.size(), kKeyIdHexSize);
    for (char c : hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {  // canonical lowercase only
        return Fail();
      }
    }
    auto id = internal::HexDecode(hex);
    const std::string_view body_text = ciphertext.substr(kTextPrefix.size() + kKeyIdHexSize + 1);
    auto body = internal::Base64Decode(body_text);
    // Only the canonical padded encoding: one ciphertext has exactly one text form. The decoder
    // already refuses non-zero trailing bits and '=' anywhere but the end, so the text is
    // canonical exactly when its length is that of the padded encoding (no missing or extra '=').
    if (!id.ok() || !body.ok() || body_text.size() != (body->size() + 2) / 3 * 4) {
      return Fail();
    }
    return Open(*id, *body, context);
  }

  Result<std::vector<std::uint8_t>> EncryptBinary(std::span<const std::uint8_t> plaintext,
                                                  std::string_view context) override {
    std::vector<std::uint8_t> out;
    std::string key_id;
    LOCKSMITH_RETURN_IF_ERROR(Seal(plaintext, context, kBinaryHeaderSize, out, key_id));
    return out;
  }

  Result<SecretValue> DecryptBinary(std::span<const std::uint8_t> ciphertext,
                                    std::string_view context) const override {
    if (ciphertext.size() < kBinaryHeaderSize || ciphertext[0] != kFormatVersion) {
      return Fail();
    }
    return Open(ciphertext.subspan(1, kKeyIdSize), ciphertext.subspan(kBinaryHeaderSize), context);
  }

  std::string PrimaryKeyId() const override { return keys_.Snapshot()->primary().key_id; }

  std::vector<std::string> KeyIds() const override {
    std::vector<std::string> ids;
    for (const Key& k : keys_.Snapshot()->keys) {
      ids.push_back(k.key_id);
    }
    return ids;
  }

  std::uint64_t EncryptionCount(std::string_view key_id) const override {
    std::lock_guard lock(counters_mu_);
    auto it = counters_.find(std::string(key_id));
    return it == counters_.end() ? 0 : it->second->count.load(std::memory_order_relaxed);
  }

  Result<void> Reload() override { return keys_.Reload(); }

 private:
  // Writes [binary header, if header_size > 0] || nonce || ciphertext || tag into `out`.
  Result<void> Seal(std::span<const std::uint8_t> plaintext, std::string_view context,
                    std::size_t header_size, std::vector<std::uint8_t>& out, std::string& key_id) {
    const std::shared_ptr<const KeySet> set = keys_.Snapshot();
    const Key& key = set->primary();
    out.resize(header_size + internal::kGcmNonceSize + plaintext.size() + internal::kGcmTagSize);
    if (header_size > 0) {
      out[0] = kFormatVersion;
      std::copy(key.key_id_bytes.begin(), key.key_id_bytes.end(), out.begin() + 1);
    }
    std::span<std::uint8_t> nonce(out.data() + header_size, internal::kGcmNonceSize);
    LOCKSMITH_RETURN_IF_ERROR(random_.Fill(nonce));
    thread_local std::vector<std::uint8_t> aad;
    BuildAad(key, context, aad);
    if (!internal::Aes256GcmSeal(key.key.RevealBytesUnsafe(), nonce, plaintext, aad,
                                 out.data() + header_size + internal::kGcmNonceSize, key.serial)) {
      return MakeError(ErrorCode::kInternal, "AES-256-GCM encryption failed");
    }
    CountEncryption(key);
    key_id = key.key_id;
    return OkResult();
  }

  // `body` = nonce || ciphertext || tag.
  Result<SecretValue> Open(std::span<const std::uint8_t> key_id, std::span<const std::uint8_t> body,
                           std::string_view context) const {
    const std::shared_ptr<const KeySet> set = keys_.Snapshot();
    const Key* key = set->Find(Key::AsChars(key_id));
    if (key == nullptr || body.size() < internal::kGcmNonceSize + internal::kGcmTagSize) {
      return Fail();
    }
    thread_local std::vector<std::uint8_t> aad;
    BuildAad(*key, context, aad);
    const auto sealed = body.subspan(internal::kGcmNonceSize);
    SecretValue plain = SecretValue::Zeroed(sealed.size() - internal::kGcmTagSize);
    if (!internal::Aes256GcmOpen(key->key.RevealBytesUnsafe(), body.first(internal::kGcmNonceSize),
                                 sealed, aad, plain.MutableBytesUnsafe().data(), key->serial)) {
      return Fail();
    }
    return plain;
  }

  Error Fail() const {
    if (metrics_ != nullptr) {
      metrics_->RecordDecryptionFailure(keys_.name());
    }
    return DecryptionFailed();
  }

  void CountEncryption(const Key& key) {
    const std::uint64_t n = key.counter->count.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= options_.encryption_warning_threshold &&
        !key.counter->warned.exchange(true, std::memory_order_relaxed)) {
      Logger()->warn(
          "encryption key ring '{}': key id {} has done {} encryptions in this process; random "
          "nonces are safe for 2^32 per key, rotate the key",
          keys_.name(), key.key_id, n);
    }
  }

  const EncryptionKeyRingOptions options_;
  Random& random_;
  Metrics* metrics_;
  mutable std::mutex counters_mu_;
  std::map<std::string, std::shared_ptr<Counter>, std::less<>> counters_;
  internal::KeySetHolder<Key> keys_;  // last: unsubscribes before the members above go away
};

}  // namespace

std::string EncryptionKeyId(std::string_view version_id) {
  return internal::HexEncode(KeyIdBytes(version_id));
}

Result<std::unique_ptr<EncryptionKeyRing>> EncryptionKeyRing::Create(
    SecretsManager& manager, std::string secret_name, EncryptionKeyRingOptions options,
    Random& random, Metrics* metrics) {
  auto ring = std::make_unique<EncryptionKeyRingImpl>(&manager, std::move(secret_name),
                                                      std::move(options), random, metrics);
  LOCKSMITH_RETURN_IF_ERROR(ring->Start());
  return std::unique_ptr<EncryptionKeyRing>(std::move(ring));
}

Result<std::unique_ptr<EncryptionKeyRing>> EncryptionKeyRing::FromKeys(
    std::vector<EncryptionKeyMaterial> keys, EncryptionKeyRingOptions options, Random& random,
    Metrics* metrics, std::string metric_name) {
  auto ring = std::make_unique<EncryptionKeyRingImpl>(nullptr, std::move(metric_name),
                                                      std::move(options), random, metrics);
  LOCKSMITH_ASSIGN_OR_RETURN(auto set, ring->BuildSet(std::move(keys)));
  ring->Install(std::move(set));
  return std::unique_ptr<EncryptionKeyRing>(std::move(ring));
}

}  // namespace locksmith
