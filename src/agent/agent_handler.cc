#include "agent/agent_handler.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "agent/http_text.h"
#include "agent/secret_json.h"
#include "core/strings.h"
#include "locksmith/log.h"
#include "spdlog/spdlog.h"

namespace locksmith::internal {
namespace {

constexpr std::string_view kQueryFormPath = "/secretsmanager/get";
constexpr std::string_view kPathFormPrefix = "/secretsmanager/";
constexpr std::string_view kV1Prefix = "/v1/";

struct HttpErrorKind {
  int status;
  std::string_view type;
};

// The status and AWS-like error type for a SecretsManager error.
HttpErrorKind ToHttpErrorKind(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {404, "ResourceNotFoundException"};
    case ErrorCode::kInvalidArgument:
      return {400, "InvalidParameterException"};
    case ErrorCode::kPermissionDenied:
      return {403, "AccessDeniedException"};
    case ErrorCode::kUnauthenticated:
      return {403, "UnrecognizedClientException"};
    case ErrorCode::kThrottled:
      return {503, "ThrottlingException"};
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kFailedPrecondition:
      return {503, "ServiceUnavailableException"};
    case ErrorCode::kDataLoss:
      return {500, "DecryptionFailure"};
    default:
      return {500, "InternalServiceError"};
  }
}

// The text an error answer carries: fixed per code, never the error's own message. The message
// may hold a back end's words (scrubbed of what locksmith knows to be secret, but a back end can
// echo things locksmith does not know), and anyone holding the token would read it.
std::string_view PublicErrorText(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "the secret id, version id or stage is not valid";
    case ErrorCode::kPermissionDenied:
      return "the back end refused access to the secret";
    case ErrorCode::kUnauthenticated:
      return "the agent's back-end credentials are missing, wrong or expired";
    case ErrorCode::kThrottled:
      return "the back end is throttling requests; retry later";
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kFailedPrecondition:
      return "the back end is unavailable; retry later";
    case ErrorCode::kDataLoss:
      return "the secret could not be decrypted or parsed";
    default:
      return "internal error";
  }
}

AgentReply BadParameter(std::string_view message) {
  return ErrorReply(400, "InvalidParameterException", message);
}

}  // namespace

AgentReply ErrorReply(int status, std::string_view type, std::string_view message) {
  using nlohmann::json;
  json body = {{"__type", std::string(type)}, {"message", std::string(message)}};
  AgentReply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return reply;
}

std::variant<AgentReply, SecretLookup> AgentHandler::Route(const AgentRequest& request) {
  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches the agent
  // with Host: evil.example. Checked on every path (/metrics lists secret names). HTTP/1.1 needs
  // exactly one Host (RFC 9112 3.2); HTTP/1.0 may omit it.
  if (request.host_count > 1 || (request.host_count == 0 && request.http11)) {
    AgentReply reply = ErrorReply(400, "InvalidRequestException", "exactly one Host header");
    reply.close = true;
    return reply;
  }
  if (request.host_count == 1 && !options_.allow_non_loopback &&
      !IsLoopbackHostHeader(request.host)) {
    AgentReply reply =
        ErrorReply(400, "InvalidRequestException", "the Host header must name a loopback host");
    reply.close = true;
    return reply;
  }
  std::string_view path = request.target;
  std::string_view query;
  if (const std::size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  if (path == "/ping") {
    AgentReply reply;
    reply.content_type = "text/plain";
    reply.body = "healthy";
    return reply;
  }
  if (path == "/metrics") {
    if (metrics_ == nullptr) {
      return ErrorReply(404, "ResourceNotFoundException", "metrics are not enabled");
    }
    AgentReply reply;
    reply.content_type = "text/plain; version=0.0.4";
    reply.body = metrics_->RenderText();
    return reply;
  }
  if (path == kQueryFormPath) {
    return RouteSecret(request, {}, false, query);
  }
  if (path.starts_with(kPathFormPrefix)) {
    return RouteSecret(request, path.substr(kPathFormPrefix.size()), true, query);
  }
  if (path.starts_with(kV1Prefix)) {
    return RouteSecret(request, path.substr(kV1Prefix.size()), true, query);
  }
  return ErrorReply(404, "UnknownOperationException", "unknown path");
}

std::variant<AgentReply, SecretLookup> AgentHandler::RouteSecret(const AgentRequest& request,
                                                                 std::string_view id_text,
                                                                 bool id_in_path,
                                                                 std::string_view query) {
  // Before any work: the proxy refusal and the token (constant-time compare).
  if (request.forwarded) {
    return ErrorReply(400, "InvalidRequestException",
                      "forwarded requests (X-Forwarded-For) are not accepted");
  }
  if (request.token_count != 1 || !options_.token.Equals(request.token)) {
    Logger()->debug("agent: refused a secret request (403)");
    return ErrorReply(403, "AccessDeniedException",
                      "missing or invalid " + std::string(kAgentTokenHeader) + " header");
  }
  auto params = ParseQuery(query);
  if (!params.ok()) {
    return BadParameter(params.error().message);
  }
  SecretLookup lookup;
  if (id_in_path) {
    auto decoded = PercentDecode(id_text, false);
    if (!decoded) {
      return BadParameter("malformed secret id in the path (bad percent escape or NUL)");
    }
    lookup.id = std::move(*decoded);
  } else if (auto id = FindParam(*params, "secretId")) {
    lookup.id = std::string(*id);
  }
  if (lookup.id.empty()) {
    return BadParameter("secretId is required");
  }
  if (auto stage_text = FindParam(*params, "versionStage")) {
    lookup.stage = ParseStage(*stage_text);
    if (!lookup.stage) {
      return BadParameter("versionStage must be AWSCURRENT, AWSPREVIOUS or AWSPENDING");
    }
  }
  bool refresh_now = false;
  if (auto refresh = FindParam(*params, "refreshNow")) {
    if (EqualsIgnoreCase(*refresh, "true")) {
      refresh_now = true;
    } else if (!EqualsIgnoreCase(*refresh, "false")) {
      return BadParameter("refreshNow must be true or false");
    }
  }
  auto version_id = FindParam(*params, "versionId");
  if (version_id && !version_id->empty()) {
    lookup.selector = VersionSelector::ById(std::string(*version_id));
  } else if (lookup.stage) {
    lookup.selector = VersionSelector::AtStage(*lookup.stage);
    lookup.stage.reset();  // nothing to check once fetched by stage
  }
  // A refresh inside the rate limit's interval is served like a plain request (from the cache).
  lookup.refresh = refresh_now && limiter_.TryAcquire(lookup.id);
  return lookup;
}

std::optional<AgentReply> AgentHandler::TryCached(const SecretLookup& lookup) {
  if (lookup.refresh) {
    return std::nullopt;
  }
  std::optional<Secret> cached = manager_.TryGetCachedVersion(lookup.id, lookup.selector);
  if (!cached) {
    return std::nullopt;
  }
  return Answer(lookup, std::move(*cached));
}

AgentReply AgentHandler::Fetch(const SecretLookup& lookup) {
  return Answer(lookup, lookup.refresh ? manager_.RefreshVersion(lookup.id, lookup.selector)
                                       : manager_.GetVersion(lookup.id, lookup.selector));
}

AgentReply AgentHandler::Answer(const SecretLookup& lookup, Result<Secret> secret) const {
  if (!secret.ok()) {
    const Error& error = secret.error();
    HttpErrorKind http = ToHttpErrorKind(error.code);
    // The full message (scrubbed where it was made) goes to the log only.
    Logger()->debug("agent: request for '{}' failed: {}: {}", lookup.id, ErrorCodeName(error.code),
                    error.message);
    return ErrorReply(http.status, http.type,
                      error.code == ErrorCode::kNotFound
                          ? "Secrets Manager can't find the specified secret: " + lookup.id
                          : std::string(PublicErrorText(error.code)));
  }
  if (lookup.stage && !secret->version.HasStage(*lookup.stage)) {
    return ErrorReply(404, "ResourceNotFoundException",
                      "version " + lookup.selector.version_id + " of " + lookup.id +
                          " does not have stage " + std::string(AwsStageLabel(*lookup.stage)));
  }
  // The reference may carry a #field; the Name is the one asked for, as AWS echoes it.
  secret->name = lookup.id;
  AgentReply reply;
  reply.secret_body = SecretToJson(*secret, arn_prefix_ + lookup.id);
  return reply;
}

}  // namespace locksmith::internal
