// locksmith: the whole library API in one include.
//
//   #include <locksmith/locksmith.h>
//
//   auto secrets = locksmith::SecretsManager::FromEnv();  // configuration from the environment
//   if (!secrets.ok()) { /* secrets.error().message names every bad variable */ }
//   auto key = (*secrets)->Get("db-encryption-key");       // cached, refreshed ahead of expiry
//
// Test doubles (FakeClock, FakeRandom, an in-memory provider, gtest matchers) are in the separate
// locksmith::testing target, <locksmith/testing/...>.
#pragma once

#include "locksmith/aws_provider.h"                // IWYU pragma: export
#include "locksmith/clock.h"                       // IWYU pragma: export
#include "locksmith/config.h"                      // IWYU pragma: export
#include "locksmith/credential_rotation.h"         // IWYU pragma: export
#include "locksmith/dotenv_provider.h"             // IWYU pragma: export
#include "locksmith/duration.h"                    // IWYU pragma: export
#include "locksmith/encryption_key_ring.h"         // IWYU pragma: export
#include "locksmith/jwt_key_ring.h"                // IWYU pragma: export
#include "locksmith/key_usage.h"                   // IWYU pragma: export
#include "locksmith/local_store.h"                 // IWYU pragma: export
#include "locksmith/log.h"                         // IWYU pragma: export
#include "locksmith/metrics.h"                     // IWYU pragma: export
#include "locksmith/naming.h"                      // IWYU pragma: export
#include "locksmith/postgres_credential_server.h"  // IWYU pragma: export
#include "locksmith/process_hardening.h"           // IWYU pragma: export
#include "locksmith/provider.h"                    // IWYU pragma: export
#include "locksmith/random.h"                      // IWYU pragma: export
#include "locksmith/redis_credential_server.h"     // IWYU pragma: export
#include "locksmith/reencryption_job.h"            // IWYU pragma: export
#include "locksmith/result.h"                      // IWYU pragma: export
#include "locksmith/row_rate_limiter.h"            // IWYU pragma: export
#include "locksmith/secret_value.h"                // IWYU pragma: export
#include "locksmith/secrets_manager.h"             // IWYU pragma: export
#include "locksmith/vault_provider.h"              // IWYU pragma: export
