// The local store's master key: given directly (base64 of 32 bytes) or read from a key file,
// which is created with a fresh random key on first use and refused unless it is this user's own
// private file (core/private_file.h: no symbolic link, our uid, mode 0600/0400, a directory others
// cannot write to unless sticky). No error message ever contains key material.
#pragma once

#include <filesystem>
#include <string_view>

#include "locksmith/local_store.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

// The 32-byte key from base64 text (surrounding whitespace ignored); anything else is
// kInvalidArgument. `source` names where the text came from, for the message.
Result<SecretValue> DecodeMasterKey(std::string_view base64, std::string_view source);

// Reads the key file at `path`, or creates it (mode 0600, parent directories 0700) holding the
// base64 of 32 fresh bytes from `random` and a newline if it does not exist.
Result<SecretValue> LoadOrCreateMasterKeyFile(const std::filesystem::path& path, Random& random);

// The key the options ask for: exactly one of master_key_base64 and master_key_file must be set.
Result<SecretValue> LoadMasterKey(const LocalStoreOptions& options, Random& random);

}  // namespace locksmith::internal
