#include "locksmith/secret_value.h"

#include <openssl/crypto.h>

#include <cstring>

namespace locksmith {

SecretValue::SecretValue(std::string_view bytes) : size_(bytes.size()) {
  if (size_ > 0) {
    data_ = std::make_unique_for_overwrite<char[]>(size_);
    std::memcpy(data_.get(), bytes.data(), size_);
  }
}

SecretValue::SecretValue(std::span<const std::uint8_t> bytes)
    : SecretValue(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) {}

SecretValue SecretValue::Zeroed(std::size_t size) {
  SecretValue v;
  v.size_ = size;
  if (size > 0) {
    v.data_ = std::make_unique<char[]>(size);
  }
  return v;
}

SecretValue::SecretValue(SecretValue&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

SecretValue& SecretValue::operator=(SecretValue&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

SecretValue::~SecretValue() { Wipe(); }

void SecretValue::Wipe() noexcept {
  if (data_ && size_ > 0) {
    OPENSSL_cleanse(data_.get(), size_);
  }
  data_.reset();
  size_ = 0;
}

SecretValue SecretValue::Clone() const { return SecretValue(RevealUnsafe()); }

bool SecretValue::operator==(const SecretValue& other) const { return Equals(other.RevealUnsafe()); }

bool SecretValue::Equals(std::string_view bytes) const {
  if (bytes.size() != size_) {
    return false;
  }
  if (size_ == 0) {
    return true;
  }
  return CRYPTO_memcmp(data_.get(), bytes.data(), size_) == 0;
}

}  // namespace locksmith
