#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "core/crypto.h"
#include "core/json_bounded.h"
#include "core/logical_name.h"
#include "core/stages.h"
#include "core/strings.h"
#include "core/utf8.h"
#include "locksmith/log.h"
#include "locksmith/naming.h"
#include "providers/aws/aws_provider_internal.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace internal {
namespace {

using nlohmann::json;

constexpr std::size_t kBatchSize = 20;  // BatchGetSecretValue's limit on SecretIdList

std::chrono::system_clock::time_point EpochSeconds(const json& value) {
  if (!value.is_number()) {
    return {};
  }
  double seconds = value.get<double>();
  // A date the clock cannot hold (past 2262 in nanoseconds) is treated as no date, like a
  // non-number, rather than overflowing the conversion.
  constexpr double kLimit = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
          .count() -
      1);
  if (!std::isfinite(seconds) || seconds > kLimit || seconds < -kLimit) {
    return {};
  }
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

std::vector<Stage> StagesFrom(const json& labels) {
  std::vector<Stage> stages;
  if (!labels.is_array()) {
    return stages;
  }
  for (const auto& label : labels) {
    if (label.is_string()) {
      if (auto stage = StageFromAwsLabel(label.get<std::string>())) {
        stages.push_back(*stage);
      }
    }
  }
  return stages;
}

std::string StringField(const json& object, const char* key) {
  if (object.is_object() && object.contains(key) && object[key].is_string()) {
    return object[key].get<std::string>();
  }
  return {};
}

// The value of one GetSecretValue / BatchGetSecretValue entry.
Result<SecretValue> ValueFrom(json& entry, std::string_view name) {
  if (entry.contains("SecretString") && entry["SecretString"].is_string()) {
    return SecretValue(entry["SecretString"].get_ref<const std::string&>());
  }
  if (entry.contains("SecretBinary") && entry["SecretBinary"].is_string()) {
    auto decoded = Base64DecodeSecret(entry["SecretBinary"].get_ref<const std::string&>());
    if (!decoded.ok()) {
      return MakeError(ErrorCode::kDataLoss,
                       "secret '" + std::string(name) + "' has a malformed SecretBinary");
    }
    return decoded;
  }
  return MakeError(ErrorCode::kNotFound,
                   "secret '" + std::string(name) + "' has no value in this version");
}

// The secret of one GetSecretValue / BatchGetSecretValue entry.
Result<Secret> SecretFrom(json& entry, std::string_view name) {
  Secret secret;
  secret.name = std::string(name);
  secret.version.version_id = StringField(entry, "VersionId");
  secret.version.stages = StagesFrom(entry.value("VersionStages", json::array()));
  secret.version.created = EpochSeconds(entry.value("CreatedDate", json()));
  LOCKSMITH_ASSIGN_OR_RETURN(secret.value, ValueFrom(entry, name));
  return secret;
}

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

AwsCredentialSourcePtr MakeDefaultCredentialChain(const EnvLookup& env, const AwsSharedFiles& files,
                                                  const std::string& region,
                                                  AwsEndpointFlags endpoint_flags,
                                                  HttpClient& metadata, HttpClient& sts,
                                                  Clock& clock) {
  // botocore's order (credentials.py, create_credential_resolver): environment, the profile's
  // role (AssumeRole), the profile providers (web identity, SSO, credentials file,
  // credential_process, config file), container endpoint, IMDS.
  AwsCredentialDeps deps{env, region, metadata, sts, clock, {}, endpoint_flags};
  std::vector<AwsCredentialSourcePtr> sources;
  sources.push_back(MakeEnvCredentialSource(env));
  sources.push_back(MakeAssumeRoleCredentialSource(files, deps));
  for (auto& source : MakeProfileProviders(files, deps, /*use_env=*/true)) {
    sources.push_back(std::move(source));
  }
  sources.push_back(MakeContainerCredentialSource(env, metadata));
  // Random only jitters when IMDS credentials near their expiry are asked for again.
  sources.push_back(MakeImdsCredentialSource(env, metadata, files, &clock, &SystemRandom()));
  return std::make_unique<AwsCredentialChain>(std::move(sources));
}

Result<std::unique_ptr<AwsProviderImpl>> AwsProviderImpl::Create(AwsOptions options,
                                                                 HttpClientPtr http,
                                                                 HttpClientPtr metadata_http,
                                                                 AwsCredentialSourcePtr source,
                                                                 Clock& clock, Random& random) {
  LOCKSMITH_ASSIGN_OR_RETURN(std::string endpoint, ResolveSecretsManagerEndpoint(
                                                       options.endpoint_url, options.region,
                                                       {options.use_fips, options.use_dualstack}));
  if (options.region.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile region)");
  }
  std::unique_ptr<AwsProviderImpl> provider(new AwsProviderImpl());
  provider->options_ = std::move(options);
  provider->clock_ = &clock;
  provider->random_ = &random;
  provider->http_ = std::move(http);
  provider->metadata_http_ = std::move(metadata_http);
  provider->versions_ = std::make_unique<VersionCache>(
      provider->options_.cached_versions_per_secret, provider->options_.cached_secrets);
  provider->credentials_ = std::make_unique<RefreshingCredentials>(
      std::move(source), clock,
      CredentialRefreshTimes{.advisory = provider->options_.credential_advisory_refresh,
                             .mandatory = provider->options_.credential_mandatory_refresh});
  SecretsManagerClient::Options client_options;
  client_options.endpoint = endpoint;
  client_options.region = provider->options_.region;
  client_options.timeout = provider->options_.timeout;
  provider->client_ = std::make_unique<SecretsManagerClient>(client_options, *provider->http_,
                                                             *provider->credentials_, clock);
  return provider;
}

std::string AwsProviderImpl::SecretId(std::string_view name) const {
  return JoinSecretPath(options_.prefix, name);
}

Result<std::string> AwsProviderImpl::NewRequestToken() {
  // A UUID v4: ClientRequestToken must be 32-64 characters and unique per new version.
  std::array<std::uint8_t, 16> bytes{};
  LOCKSMITH_RETURN_IF_ERROR(random_->Fill(bytes));
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
  std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<Secret> AwsProviderImpl::Fetch(const std::string& name, const VersionSelector& selector) {
  json body = {{"SecretId", SecretId(name)}};
  if (!selector.version_id.empty()) {
    body["VersionId"] = selector.version_id;
  } else {
    body["VersionStage"] = std::string(AwsStageLabel(selector.stage));
  }
  LOCKSMITH_ASSIGN_OR_RETURN(
      AwsReply reply, client_->Call("GetSecretValue", body.dump(), "reading " + Quoted(name)));
  LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, SecretFrom(reply.json, name));
  versions_->Store(name, secret.version, secret.value);
  return secret;
}

std::optional<Secret> AwsProviderImpl::Cached(const std::string& name,
                                              std::string_view version_id) {
  auto held = versions_->Find(name, version_id);
  if (!held) {
    return std::nullopt;
  }
  return Secret{name, std::move(held->version), std::move(held->value)};
}

Result<std::optional<Secret>> AwsProviderImpl::GetByDescribe(const std::string& name, Stage stage) {
  bool deleted = false;
  auto description = DescribeSecret(name, deleted);
  if (description.ok() && deleted) {
    // Marked for deletion: the service refuses to read it, and so must we (the caller's
    // GetSecretValue by stage returns the service's own error).
    versions_->Forget(name);
    return std::optional<Secret>();
  }
  if (!description.ok()) {
    if (description.error().code == ErrorCode::kPermissionDenied) {
      if (!describe_denied_.exchange(true)) {
        Logger()->warn(
            "DescribeSecret is not allowed ({}); every refresh now reads the value by stage "
            "(allow secretsmanager:DescribeSecret to fetch values only when they change)",
            description.error().message);
      }
      return std::optional<Secret>();
    }
    if (description.error().code == ErrorCode::kNotFound) {
      versions_->Forget(name);
    }
    return std::move(description).error();
  }
  const VersionInfo* target = nullptr;
  for (const VersionInfo& version : description->versions) {
    if (version.HasStage(stage)) {
      target = &version;
      break;
    }
  }
  if (target == nullptr) {
    return MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) + " has no version at stage " +
                                               std::string(AwsStageLabel(stage)));
  }
  if (auto cached = Cached(name, target->version_id)) {
    // Same value; the labels are DescribeSecret's (newer), the creation date the version's own.
    cached->version.stages = target->stages;
    versions_->Store(name, cached->version, cached->value);
    return cached;
  }
  // Labels may move between the two calls: read the version id Describe named, so the value
  // and the version id always match.
  LOCKSMITH_ASSIGN_OR_RETURN(Secret secret, Fetch(name, VersionSelector::ById(target->version_id)));
  return std::optional<Secret>(std::move(secret));
}

Result<Secret> AwsProviderImpl::Get(std::string_view name_in, const VersionSelector& selector) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateLogicalName(name_in));
  const std::string name(name_in);
  if (!selector.version_id.empty()) {
    if (auto cached = Cached(name, selector.version_id)) {
      return std::move(*cached);  // version ids are immutable
    }
  } else if (!describe_denied_.load() && versions_->Contains(name)) {
    LOCKSMITH_ASSIGN_OR_RETURN(std::optional<Secret> described,
                               GetByDescribe(name, selector.stage));
    if (described) {
      return std::move(*described);
    }
  }
  return Fetch(name, selector);
}

Result<SecretDescription> AwsProviderImpl::Describe(std::string_view name) {
  bool deleted = false;
  return DescribeSecret(name, deleted);
}

Result<SecretDescription> AwsProviderImpl::DescribeSecret(std::string_view name, bool& deleted) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateLogicalName(name));
  json body = {{"SecretId", SecretId(name)}};
  LOCKSMITH_ASSIGN_OR_RETURN(
      AwsReply reply, client_->Call("DescribeSecret", body.dump(), "describing " + Quoted(name)));
  deleted = reply.json.contains("DeletedDate") && !reply.json["DeletedDate"].is_null();
  SecretDescription description;
  description.name = std::string(name);
  if (reply.json.contains("LastRotatedDate")) {
    description.last_rotated = EpochSeconds(reply.json["LastRotatedDate"]);
  }
  const json& map = reply.json.value("VersionIdsToStages", json::object());
  const auto created = EpochSeconds(reply.json.value("CreatedDate", json()));
  for (auto it = map.begin(); it != map.end(); ++it) {
    VersionInfo info;
    info.version_id = it.key();
    info.stages = StagesFrom(it.value());
    // DescribeSecret has no per-version dates (ListSecretVersionIds has, but the least-privilege
    // policy does not allow it): the secret's creation date stands in.
    info.created = created;
    description.versions.push_back(std::move(info));
  }
  // Newest first as far as the labels tell: pending, current, previous, then unlabelled.
  auto rank = [](const VersionInfo& v) {
    if (v.HasStage(Stage::kPending)) {
      return 0;
    }
    if (v.HasStage(Stage::kCurrent)) {
      return 1;
    }
    if (v.HasStage(Stage::kPrevious)) {
      return 2;
    }
    return 3;
  };
  std::stable_sort(description.versions.begin(), description.versions.end(),
                   [&](const VersionInfo& a, const VersionInfo& b) { return rank(a) < rank(b); });
  return description;
}

Result<std::vector<std::string>> AwsProviderImpl::List(std::string_view prefix) {
  std::vector<std::string> names;
  std::string next_token;
  const std::string filter = JoinSecretPath(options_.prefix, prefix);
  for (int page = 0; page < 10000; ++page) {
    json body = {{"MaxResults", 100}};
    if (!filter.empty()) {
      body["Filters"] = json::array({{{"Key", "name"}, {"Values", json::array({filter})}}});
    }
    if (!next_token.empty()) {
      body["NextToken"] = next_token;
    }
    LOCKSMITH_ASSIGN_OR_RETURN(AwsReply reply,
                               client_->Call("ListSecrets", body.dump(), "listing secrets"));
    for (const auto& entry : reply.json.value("SecretList", json::array())) {
      std::string path = StringField(entry, "Name");
      if (entry.contains("DeletedDate")) {
        continue;
      }
      std::string name = options_.prefix.empty() ? path : StripSecretPrefix(options_.prefix, path);
      if (name.empty() || !name.starts_with(prefix)) {
        continue;
      }
      names.push_back(std::move(name));
    }
    next_token = StringField(reply.json, "NextToken");
    if (next_token.empty()) {
      break;
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<VersionInfo> AwsProviderImpl::Put(std::string_view name, const SecretValue& value,
                                         Stage stage) {
  LOCKSMITH_RETURN_IF_ERROR(ValidateLogicalName(name));
  if (stage == Stage::kPrevious) {
    return MakeError(ErrorCode::kInvalidArgument, "a new version cannot be put as previous");
  }
  // Text goes as SecretString; bytes that are not UTF-8 (which a JSON string cannot hold) as
  // SecretBinary, as `aws secretsmanager put-secret-value --secret-binary` does; a read returns
  // the same bytes either way.
  auto value_fields = [&](json& body) {
    if (IsValidUtf8(value.RevealUnsafe())) {
      body["SecretString"] = std::string(value.RevealUnsafe());
    } else {
      SecretValue encoded = Base64EncodeSecret(value.RevealBytesUnsafe());
      body["SecretBinary"] = std::string(encoded.RevealUnsafe());
    }
  };
  auto dump = [](json& body) {
    std::string text = DumpJsonWiping(body);
    WipeJsonStrings(body);
    return text;
  };
  const std::string what = "writing " + Quoted(name);
  const std::string_view values[] = {value.RevealUnsafe()};
  LOCKSMITH_ASSIGN_OR_RETURN(std::string token, NewRequestToken());
  json body = {{"SecretId", SecretId(name)},
               {"ClientRequestToken", token},
               {"VersionStages", json::array({std::string(AwsStageLabel(stage))})}};
  value_fields(body);
  auto reply = client_->Call("PutSecretValue", dump(body), what, values);
  if (!reply.ok() && reply.error().code == ErrorCode::kNotFound) {
    if (stage != Stage::kCurrent) {
      // AWS makes a secret's first version AWSCURRENT whatever the labels asked for
      // (CreateSecret, and PutSecretValue on a secret without versions): a value meant to be
      // pending would be served as current. Nothing is created.
      return MakeError(ErrorCode::kNotFound,
                       "secret " + Quoted(name) +
                           " does not exist, and AWS makes a new secret's first version current "
                           "(AWSCURRENT): put it as current, not as pending");
    }
    json create = {{"Name", SecretId(name)}, {"ClientRequestToken", token}};
    value_fields(create);
    LOCKSMITH_ASSIGN_OR_RETURN(AwsReply created,
                               client_->Call("CreateSecret", dump(create), what, values));
    VersionInfo info;
    info.version_id = StringField(created.json, "VersionId");
    info.stages = {Stage::kCurrent};
    info.created = clock_->WallNow();
    return info;
  }
  if (!reply.ok()) {
    return std::move(reply).error();
  }
  VersionInfo info;
  info.version_id = StringField(reply->json, "VersionId");
  // As AWS reports them: a pending put that was the secret's first version is current too.
  info.stages = StagesFrom(reply->json.value("VersionStages", json::array()));
  info.created = clock_->WallNow();
  return info;
}

Result<void> AwsProviderImpl::PromoteToCurrent(std::string_view name, std::string_view version_id) {
  LOCKSMITH_ASSIGN_OR_RETURN(SecretDescription description, Describe(name));
  std::string old_current;
  const VersionInfo* target = nullptr;
  for (const auto& version : description.versions) {
    if (version.HasStage(Stage::kCurrent)) {
      old_current = version.version_id;
    }
    if (version.version_id == version_id) {
      target = &version;
    }
  }
  if (target == nullptr) {
    return MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) + " has no version '" +
                                               std::string(version_id) + "'");
  }
  const bool was_pending = target->HasStage(Stage::kPending);
  const std::string what = "promoting a version of " + Quoted(name);
  if (old_current != version_id) {
    json body = {{"SecretId", SecretId(name)},
                 {"VersionStage", std::string(AwsStageLabel(Stage::kCurrent))},
                 {"MoveToVersionId", std::string(version_id)}};
    if (!old_current.empty()) {
      body["RemoveFromVersionId"] = old_current;
    }
    LOCKSMITH_ASSIGN_OR_RETURN(AwsReply moved,
                               client_->Call("UpdateSecretVersionStage", body.dump(), what));
  }
  if (was_pending) {
    json body = {{"SecretId", SecretId(name)},
                 {"VersionStage", std::string(AwsStageLabel(Stage::kPending))},
                 {"RemoveFromVersionId", std::string(version_id)}};
    LOCKSMITH_ASSIGN_OR_RETURN(AwsReply cleared,
                               client_->Call("UpdateSecretVersionStage", body.dump(), what));
  }
  return OkResult();
}

Result<AwsBatchResult> AwsProviderImpl::GetBatch(const std::vector<std::string>& names) {
  AwsBatchResult result;
  for (std::size_t start = 0; start < names.size(); start += kBatchSize) {
    // Secret id -> logical name, for this chunk.
    std::map<std::string, std::string> by_id;
    json ids = json::array();
    for (std::size_t i = start; i < std::min(names.size(), start + kBatchSize); ++i) {
      auto valid = ValidateLogicalName(names[i]);
      if (!valid.ok()) {
        result.errors.emplace_back(names[i], std::move(valid).error());
        continue;
      }
      std::string id = SecretId(names[i]);
      by_id[id] = names[i];
      ids.push_back(id);
    }
    if (ids.empty()) {
      continue;
    }
    std::string next_token;
    std::set<std::string> seen;
    do {
      json body = {{"SecretIdList", ids}};
      if (!next_token.empty()) {
        body["NextToken"] = next_token;
      }
      LOCKSMITH_ASSIGN_OR_RETURN(
          AwsReply reply, client_->Call("BatchGetSecretValue", body.dump(), "preloading secrets"));
      // The name asked for that `entry` answers, the first time it is answered. An entry for a
      // name not asked (or a second one for a name) is ignored: each name asked gets exactly
      // one answer, a secret or an error, whatever the back end lists.
      auto first_answer_for = [&](const json& entry) -> std::optional<std::string> {
        for (const char* key : {"Name", "SecretId", "ARN"}) {
          auto it = by_id.find(StringField(entry, key));
          if (it != by_id.end()) {
            return seen.insert(it->second).second ? std::optional(it->second) : std::nullopt;
          }
        }
        return std::nullopt;
      };
      for (auto& entry : reply.json["SecretValues"]) {
        std::optional<std::string> name = first_answer_for(entry);
        if (!name) {
          continue;
        }
        auto secret = SecretFrom(entry, *name);
        if (secret.ok()) {
          versions_->Store(*name, secret->version, secret->value);
          result.secrets.push_back(std::move(secret).value());
        } else {
          result.errors.emplace_back(*name, std::move(secret).error());
        }
      }
      for (auto& entry : reply.json.value("Errors", json::array())) {
        std::optional<std::string> found = first_answer_for(entry);
        if (!found) {
          continue;
        }
        const std::string& name = *found;
        result.errors.emplace_back(
            name, client_->EntryError(StringField(entry, "ErrorCode"),
                                      StringField(entry, "Message"), "preloading " + Quoted(name)));
      }
      next_token = StringField(reply.json, "NextToken");
    } while (!next_token.empty());
    for (const auto& [id, name] : by_id) {
      if (!seen.contains(name)) {
        result.errors.emplace_back(
            name, MakeError(ErrorCode::kNotFound, "secret " + Quoted(name) + " not found"));
      }
    }
  }
  return result;
}

Result<BatchResult> AwsProviderImpl::GetCurrentBatch(const std::vector<std::string>& names) {
  if (!batch_denied_.load()) {
    auto batch = GetBatch(names);
    if (batch.ok() || batch.error().code != ErrorCode::kPermissionDenied) {
      return batch;
    }
    if (!batch_denied_.exchange(true)) {
      Logger()->warn(
          "BatchGetSecretValue is not allowed ({}); preloading with one GetSecretValue per secret",
          batch.error().message);
    }
  }
  return Provider::GetCurrentBatch(names);
}

Result<StatusDetailList> AwsProviderImpl::StatusDetails() {
  StatusDetailList facts = {{"aws endpoint", Endpoint()},
                            {"aws region", options_.region},
                            {"aws prefix", options_.prefix.empty() ? "(none)" : options_.prefix}};
  LOCKSMITH_ASSIGN_OR_RETURN(AwsCredentials found, credentials_->Get());
  facts.emplace_back("aws credentials", found.source);
  return facts;
}

}  // namespace internal

Result<AwsOptions> AwsOptionsFromEnv(const EnvLookup& env) {
  auto get = [&](std::string_view name) -> std::string {
    auto value = env(name);
    return value ? *value : std::string();
  };
  AwsOptions options;
  options.region = get("AWS_REGION");
  if (options.region.empty()) {
    options.region = get("AWS_DEFAULT_REGION");
  }
  options.profile = get("AWS_PROFILE");
  options.endpoint_url = get("AWS_ENDPOINT_URL_SECRETS_MANAGER");
  if (options.endpoint_url.empty()) {
    options.endpoint_url = get("AWS_ENDPOINT_URL");
  }
  LOCKSMITH_RETURN_IF_ERROR(internal::ParseEndpointFlag(get("AWS_USE_FIPS_ENDPOINT"),
                                                        "AWS_USE_FIPS_ENDPOINT", options.use_fips));
  LOCKSMITH_RETURN_IF_ERROR(internal::ParseEndpointFlag(
      get("AWS_USE_DUALSTACK_ENDPOINT"), "AWS_USE_DUALSTACK_ENDPOINT", options.use_dualstack));
  options.prefix = get("AWS_SECRETS_PREFIX");
  return options;
}

Result<std::unique_ptr<AwsSecretsManagerProvider>> CreateAwsProvider(AwsOptions options,
                                                                     EnvLookup env, Clock& clock,
                                                                     Random& random) {
  internal::AwsSharedFiles files = internal::ResolveSharedFiles(env, options.profile);
  if (options.region.empty()) {
    options.region = internal::ProfileValue(files, "region").value_or("");
  }
  // The profile's settings count where no variable gave one (the variable wins, as in botocore).
  for (auto [variable, key, flag] :
       {std::tuple{"AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", &options.use_fips},
        std::tuple{"AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint",
                   &options.use_dualstack}}) {
    auto in_profile = internal::ProfileValue(files, key);
    if (!env(variable).value_or("").empty() || !in_profile) {
      continue;
    }
    bool from_profile = false;
    LOCKSMITH_RETURN_IF_ERROR(internal::ParseEndpointFlag(
        *in_profile, std::string(key) + " of AWS profile '" + files.profile + "'", from_profile));
    *flag = *flag || from_profile;
  }
  internal::CurlHttpClientOptions http_options;
  http_options.connect_timeout = options.connect_timeout;
  http_options.timeout = options.timeout;
  http_options.allow_plain_http_non_loopback = options.allow_plain_http;
  LOCKSMITH_ASSIGN_OR_RETURN(internal::HttpClientPtr http,
                             internal::CreateCurlHttpClient(http_options));
  // The container endpoint and IMDS are plain http on link-local addresses by design.
  internal::CurlHttpClientOptions metadata_options;
  metadata_options.connect_timeout = std::chrono::seconds(1);
  metadata_options.timeout = std::chrono::seconds(5);
  metadata_options.allow_plain_http_non_loopback = true;
  LOCKSMITH_ASSIGN_OR_RETURN(internal::HttpClientPtr metadata,
                             internal::CreateCurlHttpClient(metadata_options));
  auto chain = internal::MakeDefaultCredentialChain(env, files, options.region,
                                                    {options.use_fips, options.use_dualstack},
                                                    *metadata, *http, clock);
  LOCKSMITH_ASSIGN_OR_RETURN(
      auto provider,
      internal::AwsProviderImpl::Create(std::move(options), std::move(http), std::move(metadata),
                                        std::move(chain), clock, random));
  return std::unique_ptr<AwsSecretsManagerProvider>(std::move(provider));
}

}  // namespace locksmith
