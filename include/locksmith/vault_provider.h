// VaultProvider: secrets in HashiCorp Vault's KV v2 engine, read with a token or an AppRole login
// whose token is renewed in the background and replaced before it reaches its max TTL. Works under
// a least-privilege policy that grants only `read` on the data path (metadata and list are then
// not used). Version stages: current = the latest live version, previous = the live one before it;
// Vault has no pending stage. Setup and variables: docs/vault.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct VaultTlsOptions {
  std::filesystem::path ca_cert;      // VAULT_CACERT
  std::filesystem::path ca_path;      // VAULT_CAPATH
  std::filesystem::path client_cert;  // VAULT_CLIENT_CERT
  std::filesystem::path client_key;   // VAULT_CLIENT_KEY
  bool skip_verify = false;           // VAULT_SKIP_VERIFY (logged loudly)
};

struct VaultOptions {
  std::string addr;  // VAULT_ADDR, e.g. https://vault.example.com:8200
  // VAULT_MOUNT_PATH: the KV v2 mount, then the prefix under it:
  // "secret/agentauri-backend/production" -> mount "secret", prefix "agentauri-backend/production".
  std::string mount_path = "secret";
  std::string namespace_;  // VAULT_NAMESPACE (Vault Enterprise / HCP)

  // Token auth: VAULT_TOKEN, or a file holding it (re-read when the token stops working, as a
  // Vault Agent sink rewrites it).
  std::optional<SecretValue> token;
  std::filesystem::path token_file;
  // AppRole auth (wins over a token when role_id is set): VAULT_ROLE_ID with VAULT_SECRET_ID or
  // a file holding the secret id (read at every login, as CI systems mount it).
  std::string role_id;
  std::optional<SecretValue> secret_id;
  std::filesystem::path secret_id_file;
  std::string approle_mount = "approle";

  VaultTlsOptions tls;
  // Plain http:// is accepted only to loopback unless this is set.
  bool allow_plain_http = false;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);

  // The field of the KV data map holding a secret's value; "name#field" picks another one.
  std::string default_field = "value";
  // Renew the token in a background thread (tests turn it off and drive renewal themselves).
  bool background_renewal = true;
};

// Logs in (or checks the token) before returning. Errors: kInvalidArgument for bad options
// (no address, no credentials, malformed mount path); kUnauthenticated for rejected credentials;
// kUnavailable and friends when Vault cannot be reached. `clock` and `random` must outlive the
// provider.
Result<ProviderPtr> CreateVaultProvider(VaultOptions options, Clock& clock, Random& random);

}  // namespace locksmith
