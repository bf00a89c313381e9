// CreateProvider: builds the back end a Config names.
#include <string>

#include "locksmith/aws_provider.h"
#include "locksmith/config.h"
#include "locksmith/vault_provider.h"

namespace locksmith {

VaultOptions VaultOptionsFromSettings(const VaultSettings& settings) {
  VaultOptions options;
  options.addr = settings.addr;
  if (!settings.mount_path.empty()) {
    options.mount_path = settings.mount_path;
  }
  options.namespace_ = settings.namespace_;
  if (settings.token.has_value()) {
    options.token = settings.token->Clone();
  }
  options.token_file = settings.token_file;
  options.role_id = settings.role_id;
  if (settings.secret_id.has_value()) {
    options.secret_id = settings.secret_id->Clone();
  }
  options.secret_id_file = settings.secret_id_file;
  options.tls = settings.tls;
  options.allow_plain_http = settings.allow_plain_http;
  options.timeout = settings.timeout;
  return options;
}

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
      return CreateDotenvProvider(config.dotenv, env, clock, random);
    case Backend::kVault:
      return CreateVaultProvider(VaultOptionsFromSettings(config.vault), clock, random);
    case Backend::kAws: {
      // AwsOptionsFromEnv reads the AWS_* variables the SDKs read (endpoint, FIPS, profile);
      // LoadConfig already validated the region and prefix, which win when set.
      LOCKSMITH_ASSIGN_OR_RETURN(AwsOptions options, AwsOptionsFromEnv(env));
      if (!config.aws.region.empty()) {
        options.region = config.aws.region;
      }
      options.prefix = config.aws.prefix;
      options.allow_plain_http = config.aws.allow_plain_http;
      LOCKSMITH_ASSIGN_OR_RETURN(auto provider,
                                 CreateAwsProvider(std::move(options), env, clock, random));
      return ProviderPtr(std::move(provider));
    }
  }
  return MakeError(ErrorCode::kUnimplemented, "the " + std::string(BackendName(config.backend)) +
                                                  " back end is not built into this version yet");
}

}  // namespace locksmith
