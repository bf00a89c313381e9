// StatusDetailsSource: an optional interface a Provider may also implement so that
// `locksmith status` can show back-end facts (for Vault: the token's TTL left, whether it is
// renewable, its policies) without the commands knowing any back end. Commands find it with
// dynamic_cast on the Provider; the Provider interface itself is unchanged.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "locksmith/result.h"

namespace locksmith {

// Ordered (label, value) pairs for people to read, e.g. {"token ttl", "59m58s"}.
using StatusDetailList = std::vector<std::pair<std::string, std::string>>;

// Thread-safe like Provider. Never returns a secret (a token, a secret id, a value): only facts
// about them. Errors are the provider's (kUnavailable when the back end cannot be reached, ...).
class StatusDetailsSource {
 public:
  virtual ~StatusDetailsSource() = default;
  virtual Result<StatusDetailList> StatusDetails() = 0;
};

}  // namespace locksmith
