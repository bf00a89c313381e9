// The environment of a `locksmith` child process over an embedded store kept under `home` (the
// store and its master key file below it), plus `extra` ("NAME=value" entries).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace locksmith::testing {

inline std::vector<std::string> LocalStoreEnv(const std::filesystem::path& home,
                                              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> env = {
      "HOME=" + home.string(),
      "SECRETS_BACKEND=local",
      "LOCKSMITH_STORE=" + (home / "data" / "secrets.db").string(),
      "LOCKSMITH_MASTER_KEY_FILE=" + (home / "keys" / "master.key").string(),
  };
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace locksmith::testing
