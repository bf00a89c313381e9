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
  if (!v.IsInline()) {
    std::memset(v.data_, 0, size);
  }
  return v;
}

void SecretValue::WipeHeap() noexcept {
  // explicit_bzero: a memset the compiler may not drop.
  explicit_bzero(data_, size_);
  delete[] data_;
  data_ = inline_;
}

SecretValue SecretValue::Clone() const {
  if (!IsInline()) {
    return SecretValue(RevealUnsafe());
  }
  SecretValue copy;  // a fixed-size copy: cheaper than a variable-length memcpy call
  std::memcpy(copy.inline_, inline_, kInlineCapacity);
  copy.size_ = size_;
  return copy;
}

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
