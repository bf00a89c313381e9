// EncryptionKeyRing: an immutable key set (primary first) behind a holder that swaps in a new
// set when the key secret rotates. Formats: docs/ciphertext-format.md.
#include "locksmith/encryption_key_ring.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "core/crypto.h"
#include "keys/key_versions.h"
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
};

// Immutable once built; shared by readers while a rotation builds the next one.
struct KeySet {
  std::vector<Key> keys;  // keys[0] is primary

  const Key* Find(std::span<const std::uint8_t> id) const {
    for (const Key& k : keys) {
      if (std::equal(id.begin(), id.end(), k.key_id_bytes.begin())) {
        return &k;
      }
    }
    return nullptr;
  }
};

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
      : manager_(manager),
        name_(std::move(name)),
        options_(std::move(options)),
        random_(random),
        metrics_(metrics) {}

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
                         "secret '" + name_ + "' version " + m.version_id +
                             ": an encryption key must be base64 of exactly 32 bytes");
      }
      key.key = std::move(raw).value();
      for (const Key& other : set->keys) {
        if (other.key_id_bytes == key.key_id_bytes) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "secret '" + name_ + "': versions " + other.version_id + " and " +
                               key.version_id + " map to the same key id " + key.key_id);
        }
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

  void Install(std::shared_ptr<const KeySet> set) {
    std::lock_guard lock(mu_);
    set_ = std::move(set);
  }

  Result<void> Rebuild(std::optional<Secret> announced) {
    LOCKSMITH_ASSIGN_OR_RETURN(internal::KeyVersions versions,
                               internal::LoadKeyVersions(*manager_, name_, std::move(announced),
                                                         options_.extra_version_ids));
    std::vector<EncryptionKeyMaterial> materials;
    materials.push_back({versions.current.version.version_id, std::move(versions.current.value)});
    if (versions.previous) {
      materials.push_back(
          {versions.previous->version.version_id, std::move(versions.previous->value)});
    }
    for (Secret& extra : versions.extra) {
      materials.push_back({extra.version.version_id, std::move(extra.value)});
    }
    LOCKSMITH_ASSIGN_OR_RETURN(auto set, BuildSet(std::move(materials)));
    const std::string primary = set->keys.front().key_id;
    Install(std::move(set));
    Logger()->info("encryption key ring '{}': primary key id {}", name_, primary);
    return OkResult();
  }

  void Subscribe() {
    subscription_ = manager_->Subscribe(name_, [this](const SecretUpdate& update) {
      Secret announced{name_, update.version, update.value.Clone()};
      if (auto rebuilt = Rebuild(std::move(announced)); !rebuilt.ok()) {
        Logger()->warn("encryption key ring '{}': reload failed ({}); keeping the previous keys",
                       name_, rebuilt.error().ToString());
      }
    });
  }

  std::shared_ptr<const KeySet> Snapshot() const {
    std::lock_guard lock(mu_);
    return set_;
  }

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
    // Only the canonical padded encoding: one ciphertext has exactly one text form.
    if (!id.ok() || !body.ok() || internal::Base64Encode(*body) != body_text) {
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

  std::string PrimaryKeyId() const override { return Snapshot()->keys.front().key_id; }

  std::vector<std::string> KeyIds() const override {
    std::vector<std::string> ids;
    for (const Key& k : Snapshot()->keys) {
      ids.push_back(k.key_id);
    }
    return ids;
  }

  std::uint64_t EncryptionCount(std::string_view key_id) const override {
    std::lock_guard lock(counters_mu_);
    auto it = counters_.find(std::string(key_id));
    return it == counters_.end() ? 0 : it->second->count.load(std::memory_order_relaxed);
  }

  Result<void> Reload() override {
    if (manager_ == nullptr) {
      return MakeError(ErrorCode::kFailedPrecondition, "this key ring has fixed keys");
    }
    return Rebuild(std::nullopt);
  }

 private:
  // Writes [binary header, if header_size > 0] || nonce || ciphertext || tag into `out`.
  Result<void> Seal(std::span<const std::uint8_t> plaintext, std::string_view context,
                    std::size_t header_size, std::vector<std::uint8_t>& out, std::string& key_id) {
    const std::shared_ptr<const KeySet> set = Snapshot();
    const Key& key = set->keys.front();
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
    const std::shared_ptr<const KeySet> set = Snapshot();
    const Key* key = set->Find(key_id);
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
      metrics_->RecordDecryptionFailure(name_);
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
          name_, key.key_id, n);
    }
  }

  SecretsManager* manager_;  // null for a fixed ring
  const std::string name_;
  const EncryptionKeyRingOptions options_;
  Random& random_;
  Metrics* metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> set_;
  mutable std::mutex counters_mu_;
  std::map<std::string, std::shared_ptr<Counter>, std::less<>> counters_;
  SubscriptionPtr subscription_;  // last: unsubscribes before the members above go away
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
  LOCKSMITH_RETURN_IF_ERROR(ring->Rebuild(std::nullopt));
  ring->Subscribe();
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
