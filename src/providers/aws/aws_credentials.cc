#include "providers/aws/aws_credentials.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/strings.h"
#include "core/time_format.h"
#include "locksmith/log.h"
#include "providers/aws/aws_json.h"

namespace locksmith::internal {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (value && !value->empty()) {
    return value;
  }
  if (value) {
    WipeString(*value);
  }
  return std::nullopt;
}

// Reads a whole file into a SecretValue (token files); kNotFound-free: errors are kUnavailable.
Result<SecretValue> ReadSecretFile(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(what) + " file '" + path.string() + "' cannot be read");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::string trimmed(Trim(text));
  WipeString(text);
  SecretValue value(trimmed);
  WipeString(trimmed);
  return value;
}

// The JSON both the container endpoint and IMDS answer with.
Result<AwsCredentials> CredentialsFromJson(const std::string& body, std::string_view source) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  JsonWiper wipe(json);
  if (!json.is_object() || !json.contains("AccessKeyId") || !json["AccessKeyId"].is_string() ||
      !json.contains("SecretAccessKey") || !json["SecretAccessKey"].is_string()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(source) + " answered without usable credentials");
  }
  if (json.contains("Code") && json["Code"].is_string() && json["Code"] != "Success") {
    return MakeError(ErrorCode::kUnauthenticated,
                     std::string(source) + " reported code " + json["Code"].get<std::string>());
  }
  AwsCredentials creds;
  creds.source = std::string(source);
  creds.access_key_id = json["AccessKeyId"].get<std::string>();
  creds.secret_access_key = SecretValue(json["SecretAccessKey"].get_ref<const std::string&>());
  if (json.contains("Token") && json["Token"].is_string()) {
    creds.session_token = SecretValue(json["Token"].get_ref<const std::string&>());
  }
  if (json.contains("Expiration") && json["Expiration"].is_string()) {
    creds.expiration = ParseRfc3339(json["Expiration"].get<std::string>());
    if (!creds.expiration) {
      return MakeError(ErrorCode::kUnauthenticated,
                       std::string(source) + " answered with a malformed Expiration");
    }
  }
  return creds;
}

class EnvSource : public AwsCredentialSource {
 public:
  explicit EnvSource(EnvLookup env) : env_(std::move(env)) {}
  std::string_view Name() const override { return "environment"; }
  Result<AwsCredentials> Fetch() override {
    auto key_id = NonEmpty(env_, "AWS_ACCESS_KEY_ID");
    auto secret = NonEmpty(env_, "AWS_SECRET_ACCESS_KEY");
    if (!key_id || !secret) {
      if (secret) {
        WipeString(*secret);
      }
      if (key_id.has_value() != secret.has_value()) {
        return MakeError(ErrorCode::kUnauthenticated,
                         "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set");
      }
      return MakeError(ErrorCode::kNotFound, "no credentials in the environment");
    }
    AwsCredentials creds;
    creds.source = "environment";
    creds.access_key_id = *key_id;
    creds.secret_access_key = SecretValue(*secret);
    WipeString(*secret);
    if (auto token = NonEmpty(env_, "AWS_SESSION_TOKEN")) {
      creds.session_token = SecretValue(*token);
      WipeString(*token);
    }
    if (auto expiry = NonEmpty(env_, "AWS_CREDENTIAL_EXPIRATION")) {
      creds.expiration = ParseRfc3339(*expiry);
    }
    return creds;
  }

 private:
  EnvLookup env_;
};

Result<IniFile> ReadIniFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return IniFile{};  // a missing file is an empty one
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto ini = ParseIniText(text);
  WipeString(text);
  return ini;
}

class ProfileSource : public AwsCredentialSource {
 public:
  explicit ProfileSource(AwsSharedFiles files) : files_(std::move(files)) {}
  std::string_view Name() const override { return "shared files"; }
  Result<AwsCredentials> Fetch() override {
    auto key_id = ProfileValue(files_, "aws_access_key_id");
    auto secret = ProfileValue(files_, "aws_secret_access_key");
    if (!key_id || !secret) {
      if (secret) {
        WipeString(*secret);
      }
      return MakeError(ErrorCode::kNotFound, "no credentials in profile '" + files_.profile + "'");
    }
    AwsCredentials creds;
    creds.source = "profile " + files_.profile;
    creds.access_key_id = *key_id;
    creds.secret_access_key = SecretValue(*secret);
    WipeString(*secret);
    if (auto token = ProfileValue(files_, "aws_session_token")) {
      creds.session_token = SecretValue(*token);
      WipeString(*token);
    }
    return creds;
  }

 private:
  AwsSharedFiles files_;
};

std::string XmlElement(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  std::string close = "</" + std::string(name) + ">";
  std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) {
    return {};
  }
  begin += open.size();
  std::size_t end = xml.find(close, begin);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(xml.substr(begin, end - begin));
}

class WebIdentitySource : public AwsCredentialSource {
 public:
  WebIdentitySource(EnvLookup env, std::string region, HttpClient& http, Clock& clock)
      : env_(std::move(env)), region_(std::move(region)), http_(http), clock_(clock) {}
  std::string_view Name() const override { return "web identity"; }
  Result<AwsCredentials> Fetch() override {
    auto token_file = NonEmpty(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = NonEmpty(env_, "AWS_ROLE_ARN");
    if (!token_file || !role_arn) {
      return MakeError(ErrorCode::kNotFound, "no web identity configured");
    }
    std::string session =
        NonEmpty(env_, "AWS_ROLE_SESSION_NAME")
            .value_or("locksmith-" +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         clock_.WallNow().time_since_epoch())
                                         .count()));
    LOCKSMITH_ASSIGN_OR_RETURN(SecretValue token,
                               ReadSecretFile(*token_file, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    std::string endpoint =
        NonEmpty(env_, "AWS_ENDPOINT_URL_STS")
            .value_or(NonEmpty(env_, "AWS_ENDPOINT_URL")
                          .value_or("https://sts." + region_ + ".amazonaws.com"));
    while (!endpoint.empty() && endpoint.back() == '/') {
      endpoint.pop_back();
    }
    HttpRequest request("POST", endpoint + "/");
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body =
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + UrlEncode(*role_arn) +
        "&RoleSessionName=" + UrlEncode(session) +
        "&WebIdentityToken=" + UrlEncode(token.RevealUnsafe());
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
    if (response.status != 200) {
      std::string code = XmlElement(response.body, "Code");
      ErrorCode mapped = response.status >= 500 || code == "IDPCommunicationError"
                             ? ErrorCode::kUnavailable
                             : ErrorCode::kUnauthenticated;
      return MakeError(mapped, "STS AssumeRoleWithWebIdentity failed with HTTP " +
                                   std::to_string(response.status) +
                                   (code.empty() ? "" : " (" + code + ")"));
    }
    AwsCredentials creds;
    creds.source = "web identity";
    creds.access_key_id = XmlElement(response.body, "AccessKeyId");
    std::string secret = XmlElement(response.body, "SecretAccessKey");
    std::string session_token = XmlElement(response.body, "SessionToken");
    creds.secret_access_key = SecretValue(secret);
    creds.session_token = SecretValue(session_token);
    WipeString(secret);
    WipeString(session_token);
    creds.expiration = ParseRfc3339(XmlElement(response.body, "Expiration"));
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
      return MakeError(ErrorCode::kUnauthenticated,
                       "STS AssumeRoleWithWebIdentity answered without credentials");
    }
    return creds;
  }

 private:
  EnvLookup env_;
  std::string region_;
  HttpClient& http_;
  Clock& clock_;
};

bool IsAllowedContainerHost(std::string_view host) {
  return IsLoopbackHost(host) || host == "169.254.170.2" || host == "169.254.170.23" ||
         host == "[fd00:ec2::23]";
}

class ContainerSource : public AwsCredentialSource {
 public:
  ContainerSource(EnvLookup env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::string_view Name() const override { return "container"; }
  Result<AwsCredentials> Fetch() override {
    std::string url;
    if (auto relative = NonEmpty(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = "http://169.254.170.2" + *relative;
    } else if (auto full = NonEmpty(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url = *full;
      LOCKSMITH_ASSIGN_OR_RETURN(UrlParts parts, ParseUrlParts(url));
      if (parts.scheme != "https" && !IsAllowedContainerHost(parts.host)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback / "
                         "container link-local address");
      }
    } else {
      return MakeError(ErrorCode::kNotFound, "no container credentials endpoint configured");
    }
    HttpRequest request("GET", url);
    request.timeout = std::chrono::milliseconds(5000);
    if (auto token_file = NonEmpty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      LOCKSMITH_ASSIGN_OR_RETURN(
          SecretValue token, ReadSecretFile(*token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
      request.headers.emplace_back("Authorization", std::string(token.RevealUnsafe()));
    } else if (auto token = NonEmpty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      request.headers.emplace_back("Authorization", *token);
      WipeString(*token);
    }
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
    if (response.status != 200) {
      return MakeError(
          response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
          "container credentials endpoint answered HTTP " + std::to_string(response.status));
    }
    return CredentialsFromJson(response.body, "container");
  }

 private:
  EnvLookup env_;
  HttpClient& http_;
};

class ImdsSource : public AwsCredentialSource {
 public:
  ImdsSource(EnvLookup env, HttpClient& http) : env_(std::move(env)), http_(http) {}
  std::string_view Name() const override { return "imds"; }
  Result<AwsCredentials> Fetch() override {
    auto disabled = NonEmpty(env_, "AWS_EC2_METADATA_DISABLED");
    if (disabled && (*disabled == "true" || *disabled == "TRUE" || *disabled == "True")) {
      return MakeError(ErrorCode::kNotFound, "IMDS disabled");
    }
    std::string endpoint =
        NonEmpty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!endpoint.empty() && endpoint.back() == '/') {
      endpoint.pop_back();
    }
    HttpRequest token_request("PUT", endpoint + "/latest/api/token");
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    token_request.timeout = std::chrono::milliseconds(1000);
    auto token = http_.Send(token_request);
    if (!token.ok()) {
      // Not on EC2 (or IMDS unreachable): not a configured source.
      return MakeError(ErrorCode::kNotFound, "IMDS not reachable");
    }
    if (token->status != 200) {
      return MakeError(token->status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
                       "IMDS token request answered HTTP " + std::to_string(token->status));
    }
    auto get = [&](const std::string& path) -> Result<HttpResponse> {
      HttpRequest request("GET", endpoint + path);
      request.headers.emplace_back("X-aws-ec2-metadata-token", token->body);
      request.timeout = std::chrono::milliseconds(1000);
      LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
      if (response.status == 404) {
        return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
      }
      if (response.status != 200) {
        return MakeError(
            response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUnauthenticated,
            "IMDS answered HTTP " + std::to_string(response.status));
      }
      return response;
    };
    LOCKSMITH_ASSIGN_OR_RETURN(HttpResponse role,
                               get("/latest/meta-data/iam/security-credentials/"));
    std::string role_name(Trim(std::string_view(role.body).substr(0, role.body.find('\n'))));
    if (role_name.empty()) {
      return MakeError(ErrorCode::kNotFound, "no IAM role attached to this instance");
    }
    LOCKSMITH_ASSIGN_OR_RETURN(
        HttpResponse creds,
        get("/latest/meta-data/iam/security-credentials/" + UrlEncode(role_name)));
    return CredentialsFromJson(creds.body, "imds");
  }

 private:
  EnvLookup env_;
  HttpClient& http_;
};

}  // namespace

IniFile::~IniFile() {
  for (auto& [section, keys] : sections) {
    for (auto& [key, value] : keys) {
      WipeString(value);
    }
  }
}

Result<IniFile> ParseIniText(std::string_view text) {
  IniFile ini;
  std::string section;
  std::size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string line(Trim(text.substr(pos, end - pos)));
    pos = end + 1;
    ++line_number;
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        return MakeError(ErrorCode::kInvalidArgument,
                         "malformed section header on line " + std::to_string(line_number));
      }
      section = std::string(Trim(std::string_view(line).substr(1, line.size() - 2)));
      ini.sections[section];
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string::npos || section.empty()) {
      WipeString(line);
      continue;  // nested sub-properties and stray lines are ignored, as the SDKs do
    }
    std::string key(Trim(std::string_view(line).substr(0, eq)));
    ini.sections[section][key] = std::string(Trim(std::string_view(line).substr(eq + 1)));
    WipeString(line);
  }
  return ini;
}

AwsSharedFiles ResolveSharedFiles(const EnvLookup& env, std::string_view profile_override) {
  AwsSharedFiles files;
  // Without HOME there are no default files (not ".aws/..." relative to the working directory).
  auto home = NonEmpty(env, "HOME");
  auto in_home = [&](const char* name) {
    return home ? (std::filesystem::path(*home) / ".aws" / name).string() : std::string();
  };
  files.credentials = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or(in_home("credentials"));
  files.config = NonEmpty(env, "AWS_CONFIG_FILE").value_or(in_home("config"));
  files.profile = !profile_override.empty() ? std::string(profile_override)
                                            : NonEmpty(env, "AWS_PROFILE").value_or("default");
  return files;
}

std::optional<std::string> ProfileValue(const AwsSharedFiles& files, std::string_view key) {
  auto lookup = [&](const std::filesystem::path& path,
                    const std::string& section) -> std::optional<std::string> {
    auto ini = ReadIniFile(path);
    if (!ini.ok()) {
      return std::nullopt;
    }
    auto s = ini->sections.find(section);
    if (s == ini->sections.end()) {
      return std::nullopt;
    }
    auto k = s->second.find(std::string(key));
    if (k == s->second.end()) {
      return std::nullopt;
    }
    return k->second;
  };
  if (auto value = lookup(files.credentials, files.profile)) {
    return value;
  }
  return lookup(files.config,
                files.profile == "default" ? std::string("default") : "profile " + files.profile);
}

AwsCredentialSourcePtr MakeEnvCredentialSource(EnvLookup env) {
  return std::make_unique<EnvSource>(std::move(env));
}
AwsCredentialSourcePtr MakeProfileCredentialSource(AwsSharedFiles files) {
  return std::make_unique<ProfileSource>(std::move(files));
}
AwsCredentialSourcePtr MakeWebIdentityCredentialSource(EnvLookup env, std::string region,
                                                       HttpClient& http, Clock& clock) {
  return std::make_unique<WebIdentitySource>(std::move(env), std::move(region), http, clock);
}
AwsCredentialSourcePtr MakeContainerCredentialSource(EnvLookup env, HttpClient& http) {
  return std::make_unique<ContainerSource>(std::move(env), http);
}
AwsCredentialSourcePtr MakeImdsCredentialSource(EnvLookup env, HttpClient& http) {
  return std::make_unique<ImdsSource>(std::move(env), http);
}

AwsCredentialChain::AwsCredentialChain(std::vector<AwsCredentialSourcePtr> sources)
    : sources_(std::move(sources)) {}

Result<AwsCredentials> AwsCredentialChain::Fetch() {
  std::lock_guard lock(mu_);
  if (chosen_ != nullptr) {
    return chosen_->Fetch();
  }
  for (auto& source : sources_) {
    auto creds = source->Fetch();
    if (creds.ok()) {
      chosen_ = source.get();
      Logger()->info("AWS credentials from {}", source->Name());
      return creds;
    }
    if (creds.error().code != ErrorCode::kNotFound) {
      return MakeError(creds.error().code, "AWS credentials (" + std::string(source->Name()) +
                                               "): " + creds.error().message);
    }
  }
  return MakeError(ErrorCode::kUnauthenticated,
                   "no AWS credentials found (environment, shared files, web identity, "
                   "container endpoint, IMDS)");
}

RefreshingCredentials::RefreshingCredentials(AwsCredentialSourcePtr source, Clock& clock,
                                             std::chrono::seconds refresh_window)
    : source_(std::move(source)), clock_(clock), refresh_window_(refresh_window) {}

Result<AwsCredentials> RefreshingCredentials::Get() {
  std::lock_guard lock(mu_);
  const auto now = clock_.WallNow();
  if (held_ && (!held_->expiration || *held_->expiration - refresh_window_ > now)) {
    return held_->Clone();
  }
  ++fetches_;
  auto fresh = source_->Fetch();
  if (!fresh.ok()) {
    if (held_ && held_->expiration && *held_->expiration > now) {
      Logger()->warn(
          "refreshing AWS credentials failed, keeping the current ones until they "
          "expire: {}",
          fresh.error().ToString());
      return held_->Clone();
    }
    held_.reset();
    return std::move(fresh).error();
  }
  held_ = std::move(fresh).value();
  return held_->Clone();
}

void RefreshingCredentials::Invalidate() {
  std::lock_guard lock(mu_);
  held_.reset();
}

int RefreshingCredentials::fetch_count() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

}  // namespace locksmith::internal
