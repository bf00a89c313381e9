// Credential rotation with the server: the protocol of AWS Secrets Manager's rotation functions
// (create a pending version, set it in the server, test it, promote it), for a password that a
// server checks (PostgreSQL roles, Redis ACL users), over any back end with a pending stage.
// Every step is safe to rerun, and a run that finds a rotation left half-done by a crash finishes
// it instead of starting another. docs/credential-rotation.md; runbook: docs/rotation-runbook.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {

// One version of a credential secret. The secret's value is either a bare password, or a JSON
// object holding at least "password" (AWS's rotation templates store
// {"username","password","host","port","dbname",...}); other fields are carried over unchanged.
struct Credential {
  std::string username;  // from the JSON "username", else CredentialRotationOptions::username
  SecretValue password;
  std::string version_id;  // of the secret version it was read from
};

// The server side of a rotation. Implementations: PostgreSQL (ALTER ROLE; single user or
// alternating users), Redis (ACL SETUSER with two passwords at once). Called from one thread at a
// time. Errors never contain a password.
class CredentialServer {
 public:
  virtual ~CredentialServer() = default;

  // "postgres", "redis": for messages.
  virtual std::string_view Kind() const = 0;
  // The user the next credential belongs to: the same as `current` (single user) or the other of
  // a pair (alternating users: "app" <-> "app_clone").
  virtual Result<std::string> NextUsername(const Credential& current) = 0;
  // Makes `pending` valid on the server (PostgreSQL's alternating users: creating the clone role
  // if needed; Redis: the ACL user must exist). Leaves `current` valid where the server can hold
  // both (alternating users; Redis keeps several passwords per user); a single PostgreSQL role
  // has one password, so `current` stops working here. Idempotent.
  virtual Result<void> Set(const Credential& current, const Credential& pending) = 0;
  // Logs in as `pending` and runs a trivial command. kUnauthenticated when refused.
  virtual Result<void> Test(const Credential& pending) = 0;
  // Whether `previous` (the version before `current`) is still accepted in a way RetirePrevious
  // ends: Redis, its password still in the user's ACL. False where nothing is left to retire.
  virtual Result<bool> PreviousStillValid(const Credential& previous,
                                          const Credential& current) = 0;
  // Ends `previous` on the server without touching `current`. Idempotent.
  virtual Result<void> RetirePrevious(const Credential& previous, const Credential& current) = 0;
};

enum class RotationStep { kCreate, kSet, kTest, kFinish, kRetire };

// "create", "set", "test", "finish", "retire".
std::string_view RotationStepName(RotationStep step);

struct CredentialRotationOptions {
  // The new password: this many random bytes, base64url without padding (32 -> 43 characters of
  // [A-Za-z0-9_-], safe in a libpq DSN, a URL and a Redis ACL rule).
  std::size_t password_bytes = 32;
  // The user of a bare-password secret (JSON secrets carry their own "username").
  std::string username;
  // How long the previous credential stays valid after the promotion, where the server keeps it
  // (Redis): every client must have read the new version by then, so at least the cache TTL plus
  // the refresh margin (default 5 min + 1 min). Measured from the new version's creation time, so
  // a rerun after a crash waits only what is left.
  std::chrono::seconds retire_after = std::chrono::minutes(6);
  // false: stop after the promotion (the report says when to run again to retire).
  bool wait_to_retire = true;
  // Called before each step runs (progress lines). Returning false stops the run there, as a
  // crash would (kAborted): the tests' way to interrupt between any two steps.
  std::function<bool(RotationStep)> before_step;
  // Called after the promotion when the run is about to wait for `retire_at` (progress lines:
  // the wait can be minutes, and interrupting it is safe: a rerun retires).
  std::function<void(std::chrono::system_clock::time_point retire_at)> before_retire_wait;
};

struct CredentialRotationReport {
  // True when the run finished a rotation an earlier run left half-done (a pending version not
  // yet promoted, or a previous credential not yet retired) instead of starting a new one.
  bool resumed = false;
  std::vector<RotationStep> steps;  // the steps this run carried out, in order
  std::string version_id;           // the version current when the run ended
  std::string username;             // its user
  // Set when the previous credential is still valid on the server and the run did not wait
  // (wait_to_retire false): when to run again to retire it.
  std::chrono::system_clock::time_point retire_at{};
};

// Rotates the credential `name` (a secret name, no #field) against `server`, or completes the
// rotation a crashed run left behind:
//   * a pending version differing from current: set, test, finish with it (no new password);
//   * else a previous credential still valid on the server: wait until retire_after has passed
//     since the current version's creation, retire it;
//   * else a new rotation: create (a pending version: the current value with a new password and
//     the next username), set, test, finish (promote), then wait and retire where needed.
// The back end must have a pending stage (local store, AWS; Vault through a sibling path, see
// docs/vault.md): kUnimplemented otherwise (the .env back end is read-only). A failed test leaves
// the pending version in place and returns the server's error; a rerun retries set and test.
// Errors never contain a password. `random` makes the password, `clock` waits to retire.
Result<CredentialRotationReport> RotateCredential(SecretsManager& manager, std::string_view name,
                                                  CredentialServer& server, Random& random,
                                                  Clock& clock,
                                                  const CredentialRotationOptions& options = {});

}  // namespace locksmith
