// AwsCredentialSource, the interface of one place AWS credentials may come from, and the small
// helpers several sources share (environment look-up, token files, the JSON of the container
// endpoint and IMDS).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "locksmith/dotenv_provider.h"  // EnvLookup
#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "providers/aws/sigv4.h"  // AwsCredentials

namespace locksmith::internal {

// One place credentials may come from. Fetch() returns kNotFound when the source is not
// configured here (the chain then tries the next one); any other error means it is configured
// but failed. Thread-safe.
class AwsCredentialSource {
 public:
  virtual ~AwsCredentialSource() = default;
  virtual Result<AwsCredentials> Fetch() = 0;
  virtual std::string_view Name() const = 0;
};
using AwsCredentialSourcePtr = std::unique_ptr<AwsCredentialSource>;

// The variable `name`, or nullopt when it is unset or empty.
std::optional<std::string> NonEmptyEnv(const EnvLookup& env, std::string_view name);

// A whole token file, trimmed, as a SecretValue. kUnauthenticated when it cannot be read; `what`
// names the variable that pointed at it.
Result<SecretValue> ReadCredentialFile(const std::filesystem::path& path, std::string_view what);

// The largest answer read from the container endpoint or IMDS (theirs are a few hundred bytes).
inline constexpr std::size_t kMaxCredentialsBody = 64 * 1024;

// The JSON both the container endpoint and IMDS answer with; `source` names it in errors.
Result<AwsCredentials> CredentialsFromJson(const std::string& body, std::string_view source);

}  // namespace locksmith::internal
