#include "locksmith/secret_value.h"

#include <openssl/crypto.h>  // CRYPTO_memcmp

#include <cstring>

#include "core/secure_memory.h"

namespace locksmith {

void SecretValue::Allocate(std::size_t size) {
  size_ = size;
  // Larger values live in pages kept out of core dumps (core/secure_memory.h).
  data_ = size <= kInlineCapacity ? inline_ : static_cast<char*>(internal::SecureAllocate(size));
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
  v.Allocate(size);  // SecureAllocate's blocks are zeroed, as is the inline buffer
  return v;
}

void SecretValue::WipeHeap() noexcept {
  internal::SecureFree(data_, size_);  // wipes the bytes (explicit_bzero) before releasing
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
