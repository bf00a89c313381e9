#include "locksmith/secret_value.h"

#include <openssl/crypto.h>  // CRYPTO_memcmp
#include <string.h>          // explicit_bzero

#include <cstring>

namespace locksmith {

void SecretValue::Allocate(std::size_t size) {
  size_ = size;
  data_ = size <= kInlineCapacity ? inline_ : new char[size];
}

SecretValue::SecretValue(std::string_view bytes) {
  Allocate(bytes.size());
  if (size_ > 0) {
    std::memcpy(data_, bytes.data(), size_);
  }
}

SecretValue::SecretValue(std::span<const std::uint8_t> bytes)
    : SecretValue(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) {}

SecretValue SecretValue::Zeroed(std::size_t size) {
  SecretValue v;
  v.Allocate(size);
  std::memset(v.data_, 0, size);
  return v;
}

void SecretValue::TakeFrom(SecretValue& other) noexcept {
  size_ = other.size_;
  if (other.IsInline()) {
    data_ = inline_;
    std::memcpy(inline_, other.inline_, size_);
    explicit_bzero(other.inline_, other.size_);
  } else {
    data_ = other.data_;
  }
  other.data_ = other.inline_;
  other.size_ = 0;
}

SecretValue::SecretValue(SecretValue&& other) noexcept { TakeFrom(other); }

SecretValue& SecretValue::operator=(SecretValue&& other) noexcept {
  if (this != &other) {
    Wipe();
    TakeFrom(other);
  }
  return *this;
}

SecretValue::~SecretValue() { Wipe(); }

void SecretValue::Wipe() noexcept {
  if (size_ > 0) {
    // explicit_bzero: a memset the compiler may not drop, cheaper than OPENSSL_cleanse's
    // indirect call on the cache-hit path.
    explicit_bzero(data_, size_);
  }
  if (!IsInline()) {
    delete[] data_;
    data_ = inline_;
  }
  size_ = 0;
}

SecretValue SecretValue::Clone() const { return SecretValue(RevealUnsafe()); }

bool SecretValue::operator==(const SecretValue& other) const {
  return Equals(other.RevealUnsafe());
}

bool SecretValue::Equals(std::string_view bytes) const {
  if (bytes.size() != size_) {
    return false;
  }
  if (size_ == 0) {
    return true;
  }
  return CRYPTO_memcmp(data_, bytes.data(), size_) == 0;
}

}  // namespace locksmith
