// Retry backoff: "full jitter" delays (uniform over [0, min(max_delay, base * 2^(k-1))]).
#pragma once

#include <chrono>

#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

// The delay before retry `attempt` (1 for the first retry, i.e. the second try).
std::chrono::milliseconds BackoffDelay(const RetryOptions& options, int attempt, Random& random);

}  // namespace locksmith::internal
