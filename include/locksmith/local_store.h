// LocalStoreProvider: the embedded encrypted store, the zero-setup default back end. One SQLite
// file (WAL, synchronous=FULL); every value sealed with AES-256-GCM under a 32-byte master key,
// with the secret's name and version id as associated data. Versions and stages work like AWS
// staging labels. Plaintext never reaches the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/provider.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith {

struct LocalStoreOptions {
  std::filesystem::path store_path;  // the SQLite file; parent directories are created (0700)
  // Exactly one of these: the master key itself (base64 of 32 bytes, as LOCKSMITH_MASTER_KEY),
  // or a file holding it (LOCKSMITH_MASTER_KEY_FILE; created with mode 0600 holding a fresh key
  // if missing; refused if readable by group or others).
  std::optional<SecretValue> master_key_base64;
  std::filesystem::path master_key_file;
};

// Errors from Create: kPermissionDenied for a key file with loose permissions or a master key
// that does not open this store; kInvalidArgument for a malformed key; kDataLoss for a file that
// is not a locksmith store; kUnavailable if the file cannot be opened.
// `clock` and `random` must outlive the provider.
Result<ProviderPtr> CreateLocalStoreProvider(LocalStoreOptions options, Clock& clock,
                                             Random& random);

// The default store path: $XDG_DATA_HOME/locksmith/secrets.db, else
// $HOME/.local/share/locksmith/secrets.db.
std::filesystem::path DefaultLocalStorePath();

}  // namespace locksmith
