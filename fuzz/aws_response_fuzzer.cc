// Secrets Manager's answers, through the real AwsProviderImpl and SecretsManagerClient:
// GetSecretValue, BatchGetSecretValue, DescribeSecret, ListSecrets, ListSecretVersionIds,
// PutSecretValue, UpdateSecretVersionStage, and error bodies (__type, message / Message,
// X-Amzn-Errortype) including the expired-token answer that makes the client re-sign. An
// in-process HttpClient answers each request with the next answer of the fuzz script
// (net_fuzz_support.h).
//
// Input: one byte choosing the operation(s), one the options, then the script. Properties: no
// crash and no exception; every error (and every per-name error of a batch) has a message; none
// names the secret access key, the session token or a value being written.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "locksmith/aws_provider.h"
#include "net_fuzz_support.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/aws_provider_internal.h"

namespace {

using locksmith::SecretValue;
using locksmith::Stage;
using locksmith::VersionSelector;
using locksmith::fuzz::CheckError;
using locksmith::fuzz::CheckResult;

constexpr char kAwsSecretKey[] = "wJalrXUtnFEMI/K7MDENG/FuzzPlantedKEY";
constexpr char kAwsSessionToken[] = "IQoJb3JpZ2luFuzzPlantedSessionToken";
constexpr char kAwsWrittenValue[] = "aws-written-value-FuzzPlanted-9e2d";
// The credentials the client holds: with or without a session token (the options byte says). A
// token the client does not hold is only a value the answer may quote.
const std::initializer_list<std::string_view> kAwsKeyAndToken = {kAwsSecretKey, kAwsSessionToken};
const std::initializer_list<std::string_view> kAwsKeyOnly = {kAwsSecretKey};

void RunAwsOperation(locksmith::internal::AwsProviderImpl& provider, int op,
                     std::initializer_list<std::string_view> held) {
  const std::vector<std::string> names = {"jwt-secret", "database-password", "rpc/alchemy"};
  switch (op) {
    case 0:
      CheckResult(provider.Get("jwt-secret", VersionSelector::Current()), held, {kAwsSessionToken});
      break;
    case 1:
      CheckResult(provider.Get("jwt-secret", VersionSelector::ById("EXAMPLE1-90ab-cdef")), held);
      break;
    case 2:
      CheckResult(provider.Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)), held);
      break;
    case 3:
      CheckResult(provider.Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)), held);
      break;
    case 4:
      CheckResult(provider.Get("rpc/alchemy-api-key", VersionSelector::Current()), held,
                  {kAwsSessionToken});
      break;
    case 5:
      CheckResult(provider.Describe("jwt-secret"), held, {kAwsSessionToken});
      break;
    case 6:
      CheckResult(provider.List(""), held, {kAwsSessionToken});
      break;
    case 7:
      CheckResult(provider.Put("jwt-secret", SecretValue(kAwsWrittenValue), Stage::kCurrent), held,
                  {kAwsWrittenValue, kAwsSessionToken});
      break;
    case 8:
      CheckResult(provider.Put("jwt-secret", SecretValue(kAwsWrittenValue), Stage::kPending), held,
                  {kAwsWrittenValue, kAwsSessionToken});
      break;
    case 9:
      CheckResult(provider.PromoteToCurrent("jwt-secret", "EXAMPLE2-90ab-cdef"), held,
                  {kAwsSessionToken});
      break;
    case 10:
    case 11: {
      auto batch = op == 10 ? provider.GetBatch(names) : provider.GetCurrentBatch(names);
      CheckResult(batch, held, {kAwsSessionToken});
      if (batch.ok()) {
        for (const auto& [name, error] : batch->errors) {
          CheckError(error, held, {kAwsSessionToken});
        }
        FUZZ_CHECK(batch->secrets.size() + batch->errors.size() <= names.size(),
                   "a batch answers at most once per name asked");
      }
      break;
    }
    case 12:
      CheckResult(provider.StatusDetails(), held, {kAwsSessionToken});
      break;
    default:
      CheckResult(provider.ProbeLeastPrivilege(), held, {kAwsSessionToken});
      break;
  }
}

constexpr int kAwsOperations = 14;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  locksmith::fuzz::SilenceLibraryLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  locksmith::fuzz::CurrentInput() = {reinterpret_cast<const char*>(data), size};
  locksmith::fuzz::FuzzInput input(data, size);
  const std::uint8_t ops = input.TakeByte();
  const std::uint8_t mode = input.TakeByte();

  locksmith::AwsOptions options;
  options.region = "eu-west-1";
  options.endpoint_url = "http://127.0.0.1:4566";
  if ((mode & 1) != 0) {
    options.prefix = "agentauri-backend/production";
  }
  std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", "AKIDFUZZEXAMPLE"},
                                             {"AWS_SECRET_ACCESS_KEY", kAwsSecretKey}};
  if ((mode & 2) != 0) {
    vars.emplace("AWS_SESSION_TOKEN", kAwsSessionToken);
  }
  locksmith::EnvLookup env = [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };

  locksmith::fuzz::FixedClock clock;
  locksmith::fuzz::CountingRandom random;
  auto http = std::make_unique<locksmith::fuzz::ScriptedHttpClient>(
      input.SplitRest(locksmith::fuzz::kAnswerSeparator));
  auto provider = locksmith::internal::AwsProviderImpl::Create(
      std::move(options), std::move(http), nullptr,
      locksmith::internal::MakeEnvCredentialSource(env), clock, random);
  const auto credentials = (mode & 2) != 0 ? kAwsKeyAndToken : kAwsKeyOnly;
  CheckResult(provider, credentials, {kAwsSessionToken});
  if (!provider.ok()) {
    return 0;
  }
  RunAwsOperation(**provider, ops % kAwsOperations, credentials);
  if ((mode & 4) != 0) {  // a second operation: the version cache and remembered denials in play
    RunAwsOperation(**provider, (ops / kAwsOperations) % kAwsOperations, credentials);
  }
  return 0;
}
