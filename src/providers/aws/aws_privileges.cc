// AwsProviderImpl::ProbeLeastPrivilege: whether the credentials may write outside
// AWS_SECRETS_PREFIX, without writing anything. IAM decides before Secrets Manager looks for the
// secret, so a PutSecretValue to a secret id that does not exist answers AccessDeniedException
// when the policy does not reach it, and ResourceNotFoundException when it does (and nothing was
// written: PutSecretValue never creates a secret).
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/crypto.h"
#include "locksmith/naming.h"
#include "providers/aws/aws_provider_internal.h"

namespace locksmith::internal {
namespace {

// The parent of "app/production" is "app"; of "app", "".
std::string AwsParentOf(std::string_view prefix) {
  const std::size_t slash = prefix.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(prefix.substr(0, slash));
}

}  // namespace

Result<PrivilegeProbeList> AwsProviderImpl::ProbeLeastPrivilege() {
  std::array<std::uint8_t, 8> bytes{};
  LOCKSMITH_RETURN_IF_ERROR(random_->Fill(bytes));
  const std::string probe_name = "locksmith-check-probe-" + HexEncode(bytes);
  // A sibling of the prefix (app/production -> app/<probe>): a policy on "app/*" reaches staging
  // too. Without a prefix, any secret of the account.
  const std::string secret_id = JoinSecretPath(AwsParentOf(options_.prefix), probe_name);
  LOCKSMITH_ASSIGN_OR_RETURN(std::string token, NewRequestToken());
  nlohmann::json put = {{"SecretId", secret_id},
                        {"ClientRequestToken", token},
                        {"SecretString", "locksmith check: never stored"}};
  PrivilegeProbeList result;
  auto written = client_->Call("PutSecretValue", put.dump(), "probing a write to " + secret_id);
  PrivilegeProbe write{"write", secret_id};
  if (written.ok()) {
    // Only if a secret of that random name existed: the policy allows the write all the same.
    write.allowed = true;
    write.detail = "PutSecretValue succeeded";
  } else if (written.error().code == ErrorCode::kNotFound) {
    write.allowed = true;
    write.detail =
        "ResourceNotFoundException: the policy allows PutSecretValue there (nothing "
        "was written: the secret does not exist)";
  } else if (written.error().code == ErrorCode::kPermissionDenied) {
    write.detail = "AccessDeniedException";
  } else {
    return std::move(written).error();
  }
  result.push_back(std::move(write));

  // ListSecrets cannot be limited to a prefix in IAM (no resource-level permissions): allowed at
  // all, it shows every secret's name (never a value). A filter on the random name lists nothing.
  nlohmann::json list = {
      {"MaxResults", 1},
      {"Filters", nlohmann::json::array(
                      {{{"Key", "name"}, {"Values", nlohmann::json::array({probe_name})}}})}};
  auto listed = client_->Call("ListSecrets", list.dump(), "probing ListSecrets");
  PrivilegeProbe names{"list", "*"};
  if (listed.ok()) {
    names.allowed = true;
    names.advisory = true;
    names.detail =
        "ListSecrets is allowed; IAM cannot scope it to a prefix, so it shows every "
        "secret name of the account (never a value)";
  } else if (listed.error().code == ErrorCode::kPermissionDenied) {
    names.detail = "AccessDeniedException";
  } else {
    return std::move(listed).error();
  }
  result.push_back(std::move(names));
  return result;
}

}  // namespace locksmith::internal
