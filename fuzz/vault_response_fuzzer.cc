// Vault's answers, through the real VaultProvider: AppRole login and token lookup-self /
// renew-self, the mount lookup (sys/internal/ui/mounts), KV v2 reads (data, metadata, versions,
// custom_metadata), metadata listings, writes, the pending sibling, capabilities-self, error
// bodies ({"errors": [...]}) and standby redirects (3xx + Location). An in-process HttpClient
// answers each request with the next answer of the fuzz script (net_fuzz_support.h).
//
// Input: one byte choosing the operation(s), one choosing the auth mode and mount, then the
// script. Properties: no crash and no exception; every error has a message; no error names the
// token, the AppRole secret id or a value being written (the input never holds them, so only our
// code could put them there).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "fuzz_check.h"
#include "locksmith/vault_provider.h"
#include "net_fuzz_support.h"
#include "providers/vault/vault_provider_internal.h"

namespace {

using locksmith::SecretValue;
using locksmith::Stage;
using locksmith::VersionSelector;
using locksmith::fuzz::CheckResult;

constexpr char kVaultToken[] = "hvs.VaultFuzzToken-5f0c2a9e71";
constexpr char kVaultSecretId[] = "approle-secret-id-FuzzPlanted-83d1";
constexpr char kWrittenValue[] = "written-value-FuzzPlanted-1c7b";

void RunOperation(locksmith::internal::VaultProvider& provider, locksmith::fuzz::FixedClock& clock,
                  int op) {
  const std::initializer_list<std::string_view> planted = {kVaultToken, kVaultSecretId};
  switch (op) {
    case 0:
      CheckResult(provider.Get("jwt-secret", VersionSelector::Current()), planted);
      break;
    case 1:
      CheckResult(provider.Get("jwt-secret", VersionSelector::ById("3")), planted);
      break;
    case 2:
      CheckResult(provider.Get("jwt-secret", VersionSelector::AtStage(Stage::kPrevious)), planted);
      break;
    case 3:
      CheckResult(provider.Get("jwt-secret", VersionSelector::AtStage(Stage::kPending)), planted);
      break;
    case 4:
      CheckResult(provider.Get("rpc/alchemy-api-key", VersionSelector::Current()), planted);
      break;
    case 5:
      CheckResult(provider.Describe("jwt-secret"), planted);
      break;
    case 6:
      CheckResult(provider.List(""), planted);
      break;
    case 7:
      CheckResult(provider.Put("jwt-secret", SecretValue(kWrittenValue), Stage::kCurrent), planted,
                  {kWrittenValue});
      break;
    case 8:
      CheckResult(provider.Put("rpc/alchemy-api-key", SecretValue(kWrittenValue), Stage::kPending),
                  planted, {kWrittenValue});
      break;
    case 9:
      CheckResult(provider.PromoteToCurrent("jwt-secret", "pending-2"), planted);
      break;
    case 10:
      CheckResult(provider.StatusDetails(), planted);
      break;
    case 11:
      CheckResult(provider.ProbeLeastPrivilege(), planted);
      break;
    case 12:
      CheckResult(provider.Get("jwt-secret", VersionSelector::ById("pending-1")), planted);
      break;
    default:  // the token's renewal, due after a long wait
      clock.SleepFor(std::chrono::hours(24 * 40));
      provider.RunDueForTest();
      CheckResult(provider.LookupToken(), planted);
      break;
  }
}

constexpr int kOperations = 14;

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

  locksmith::VaultOptions options;
  options.addr = (mode & 1) != 0 ? "https://vault.example.com:8200" : "http://127.0.0.1:8200";
  options.mount_path = (mode & 2) != 0 ? "team/kv/agentauri-backend/production" : "secret/app";
  if ((mode & 4) != 0) {
    options.namespace_ = "admin/team";
  }
  if ((mode & 8) != 0) {
    options.role_id = "role-id-1234";
    options.secret_id = SecretValue(kVaultSecretId);
  } else {
    options.token = SecretValue(kVaultToken);
  }
  options.background_renewal = false;

  locksmith::fuzz::FixedClock clock;
  locksmith::fuzz::CountingRandom random;
  auto http = std::make_unique<locksmith::fuzz::ScriptedHttpClient>(
      input.SplitRest(locksmith::fuzz::kAnswerSeparator));
  auto provider = locksmith::internal::VaultProvider::Create(std::move(options), std::move(http),
                                                             clock, random);
  CheckResult(provider, {kVaultToken, kVaultSecretId});
  if (!provider.ok()) {
    return 0;
  }
  RunOperation(**provider, clock, ops % kOperations);
  if ((mode & 16) != 0) {  // a second operation: the caches and remembered denials in play
    RunOperation(**provider, clock, (ops / kOperations) % kOperations);
  }
  return 0;
}
