// CreateProvider: builds the back end a Config names.
#include <string>

#include "locksmith/config.h"

namespace locksmith {

Result<ProviderPtr> CreateProvider(Config& config, const EnvLookup& env, Clock& clock,
                                   Random& random) {
  switch (config.backend) {
    case Backend::kLocal: {
      // A copy, so the config stays usable (the master key is cloned, not moved out).
      LocalStoreOptions options;
      options.store_path = config.local.store_path;
      options.master_key_file = config.local.master_key_file;
      if (config.local.master_key_base64.has_value()) {
        options.master_key_base64 = config.local.master_key_base64->Clone();
      }
      return CreateLocalStoreProvider(std::move(options), clock, random);
    }
    case Backend::kDotenv:
      return CreateDotenvProvider(config.dotenv, env, clock);
    case Backend::kVault:
    case Backend::kAws:
      break;
  }
  return MakeError(ErrorCode::kUnimplemented, "the " + std::string(BackendName(config.backend)) +
                                                  " back end is not built into this version yet");
}

}  // namespace locksmith
