// The AWS credential answers, through the real credential sources: IMDS (the PUT token, the role
// name, the credentials JSON; the IMDSv1 fallback), the container endpoint (ECS relative URI,
// EKS full URI with an authorization token), STS AssumeRoleWithWebIdentity and AssumeRole (XML
// credentials and error bodies), and the parsers alone: CredentialsFromJson, StsCredentialsFromXml
// / StsError, and the INI reader of the shared files (ParseIniText, ReadProfile). An in-process
// HttpClient answers each request with the next answer of the fuzz script (net_fuzz_support.h).
// The profile files are read but never given to a source that could run credential_process.
//
// Input: one byte choosing the source, one the options, then the script (the parser-only cases
// take its first answer's body whole). Properties: no crash and no exception; every error has a
// message naming none of the credentials the source holds (the web identity token, the container
// authorization token, the source keys of AssumeRole), even when the answer echoes them.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "fuzz_check.h"
#include "net_fuzz_support.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/credentials/sts_response.h"

namespace {

using locksmith::Result;
using locksmith::fuzz::CheckResult;
using locksmith::internal::AwsCredentials;

constexpr char kWebIdentityToken[] = "eyJhbGciOiJSUzI1NiJ9.FuzzPlantedWebIdentity.c2ln";
constexpr char kContainerToken[] = "container-auth-token-FuzzPlanted-47aa";
constexpr char kSourceSecretKey[] = "SourceProfileSecretKey/FuzzPlanted+5e";
const std::initializer_list<std::string_view> kCredentialPlanted = {
    kWebIdentityToken, kContainerToken, kSourceSecretKey};

// Files the sources read, made once per process (LLVMFuzzerInitialize).
std::filesystem::path& FuzzDir() {
  static std::filesystem::path dir;
  return dir;
}

// `held`: the credential the source under test holds (the others are not its to scrub: a hostile
// answer may hold them only when the input does).
void CheckCredentials(const Result<AwsCredentials>& credentials, std::string_view held = {}) {
  if (held.empty()) {
    CheckResult(credentials, {}, kCredentialPlanted);
  } else {
    CheckResult(credentials, {held}, kCredentialPlanted);
  }
}

locksmith::EnvLookup MakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

void WriteFile(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  locksmith::fuzz::SilenceLibraryLogs();
  char pattern[] = "/tmp/locksmith-credfuzz-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::abort();
  }
  FuzzDir() = pattern;
  WriteFile(FuzzDir() / "web-identity-token", kWebIdentityToken);
  // AssumeRole from static source keys: nothing here runs a process.
  WriteFile(FuzzDir() / "config",
            std::string("[profile fuzz]\nrole_arn = arn:aws:iam::123456789012:role/fuzz\n"
                        "source_profile = base\nrole_session_name = fuzz-session\n"
                        "[profile base]\naws_access_key_id = AKIDSOURCEEXAMPLE\n"
                        "aws_secret_access_key = ") +
                kSourceSecretKey + "\n");
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(FuzzDir(), ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace internal = locksmith::internal;
  locksmith::fuzz::CurrentInput() = {reinterpret_cast<const char*>(data), size};
  locksmith::fuzz::FuzzInput input(data, size);
  const std::uint8_t op = input.TakeByte();
  const std::uint8_t mode = input.TakeByte();
  const std::string_view whole = input.rest();
  locksmith::fuzz::ScriptedHttpClient http(input.SplitRest(locksmith::fuzz::kAnswerSeparator));
  locksmith::fuzz::FixedClock clock;
  locksmith::fuzz::CountingRandom random;

  switch (op % 9) {
    case 0: {  // IMDS, v2 with the v1 fallback unless disabled
      std::map<std::string, std::string> vars;
      if ((mode & 1) != 0) {
        vars["AWS_EC2_METADATA_V1_DISABLED"] = "true";
      }
      vars["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = (mode & 2) != 0 ? "2" : "1";
      auto source =
          internal::MakeImdsCredentialSource(MakeEnv(vars), http, std::nullopt, &clock, &random);
      CheckCredentials(source->Fetch());
      break;
    }
    case 1:    // ECS: relative URI, token in a variable
    case 2: {  // EKS Pod Identity: full URI, token in a file-less variable
      std::map<std::string, std::string> vars = {
          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerToken}};
      if (op % 9 == 1) {
        vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/fuzz-task";
      } else {
        vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://169.254.170.23/v1/credentials";
      }
      auto source = internal::MakeContainerCredentialSource(MakeEnv(vars), http);
      CheckCredentials(source->Fetch(), kContainerToken);
      break;
    }
    case 3: {  // STS AssumeRoleWithWebIdentity
      auto source = internal::MakeWebIdentityCredentialSource(
          MakeEnv({{"AWS_WEB_IDENTITY_TOKEN_FILE", (FuzzDir() / "web-identity-token").string()},
                   {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/fuzz"},
                   {"AWS_ROLE_SESSION_NAME", "fuzz-session"}}),
          "eu-west-1", {}, http, clock);
      CheckCredentials(source->Fetch(), kWebIdentityToken);
      break;
    }
    case 4: {  // STS AssumeRole, signed with the source profile's static keys
      internal::AwsSharedFiles files{FuzzDir() / "credentials", FuzzDir() / "config", "fuzz"};
      internal::AwsCredentialDeps deps{MakeEnv({}), "eu-west-1", http, http, clock, {}, {}};
      auto source = internal::MakeAssumeRoleCredentialSource(files, deps);
      CheckCredentials(source->Fetch(), kSourceSecretKey);
      break;
    }
    case 5: {
      const std::string body(whole);
      CheckCredentials(internal::CredentialsFromJson(body, "the container endpoint"));
      break;
    }
    case 6: {
      CheckCredentials(internal::StsCredentialsFromXml(whole, "sts", "STS AssumeRole"));
      internal::HttpResponse response;
      response.status = 400 + mode % 200;
      response.body = std::string(whole);
      const std::string_view secrets[] = {kWebIdentityToken};
      locksmith::fuzz::CheckError(internal::StsError(response, "STS AssumeRole", secrets),
                                  {kWebIdentityToken}, kCredentialPlanted);
      break;
    }
    case 7: {
      auto ini = internal::ParseIniText(whole);
      if (!ini.ok()) {
        locksmith::fuzz::CheckError(ini.error(), {});
      }
      break;
    }
    default: {  // the same text as a config file, read as botocore merges a profile
      const std::filesystem::path path = FuzzDir() / "fuzzed-config";
      WriteFile(path, whole);
      internal::AwsSharedFiles files{FuzzDir() / "no-credentials", path, "default"};
      auto profile = internal::ReadProfile(files, (mode & 1) != 0 ? "default" : "fuzz");
      if (!profile.ok()) {
        locksmith::fuzz::CheckError(profile.error(), {});
      }
      break;
    }
  }
  return 0;
}
