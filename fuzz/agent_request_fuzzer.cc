// The agent's handling of a request (agent/agent_handler.cc, agent/http_text.cc): the target and
// its query string (ParseQuery, PercentDecode), the Host check (IsLoopbackHostHeader), the proxy
// refusal, the token check, and secretId / versionId / versionStage / refreshNow, then the answer
// from a SecretsManager over a small in-memory back end holding planted values. Boost.Beast
// parses the wire format in agent_session.cc; here a minimal reader takes the request line and
// headers of the input and fills AgentRequest exactly as agent_session.cc does, so the fuzzing
// goes to our code.
//
// Input: a raw request ("GET /target HTTP/1.1", header lines, a blank line). Properties: no
// crash; every answer has a status the agent documents and a body, and a JSON body parses; a
// request without exactly one right token never gets a 200 for a secret path and never sees a
// planted value; no answer other than a 200 for a secret carries a planted value (unless the
// input itself, percent-decoded, holds it: an error may echo the secret id asked for); a parsed
// query never holds the same parameter twice.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/agent_handler.h"
#include "agent/http_text.h"
#include "core/strings.h"
#include "fuzz_check.h"
#include "locksmith/secrets_manager.h"
#include "net_fuzz_support.h"

namespace {

using locksmith::ErrorCode;
using locksmith::MakeError;
using locksmith::Result;
using locksmith::Secret;
using locksmith::SecretValue;
using locksmith::Stage;
using locksmith::VersionInfo;
using locksmith::VersionSelector;

constexpr char kAgentToken[] = "agent-token-FuzzPlanted-0b1d";
constexpr char kPlantedJwt[] = "AGENT-PLANTED-jwt-value-3f9a";
constexpr char kPlantedOldJwt[] = "AGENT-PLANTED-old-jwt-value-61e0";
constexpr char kPlantedPassword[] = "AGENT-PLANTED-db-pass-77c1";
constexpr std::string_view kPlantedValues[] = {kPlantedJwt, kPlantedOldJwt, kPlantedPassword};

// Two versions of "jwt-secret" (v2 current, v1 previous) and a JSON "database".
class PlantedProvider : public locksmith::Provider {
 public:
  std::string_view Kind() const override { return "fuzz"; }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    Secret secret;
    secret.name = std::string(name);
    if (name == "jwt-secret") {
      const bool old = selector.version_id == "v1" ||
                       (selector.version_id.empty() && selector.stage == Stage::kPrevious);
      if ((!selector.version_id.empty() && selector.version_id != "v1" &&
           selector.version_id != "v2") ||
          (selector.version_id.empty() && selector.stage == Stage::kPending)) {
        return MakeError(ErrorCode::kNotFound, "no such version");
      }
      secret.version =
          VersionInfo{old ? "v1" : "v2", {old ? Stage::kPrevious : Stage::kCurrent}, {}};
      secret.value = SecretValue(old ? kPlantedOldJwt : kPlantedJwt);
      return secret;
    }
    if (name == "database" && selector.version_id.empty() && selector.stage == Stage::kCurrent) {
      secret.version = VersionInfo{"d1", {Stage::kCurrent}, {}};
      secret.value =
          SecretValue(std::string(R"({"user":"app","password":")") + kPlantedPassword + "\"}");
      return secret;
    }
    if (name == "unavailable") {
      return MakeError(ErrorCode::kUnavailable, "back end down");
    }
    return MakeError(ErrorCode::kNotFound, "no such secret");
  }
  Result<locksmith::SecretDescription> Describe(std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, "not here");
  }
  Result<std::vector<std::string>> List(std::string_view) override {
    return std::vector<std::string>{};
  }
  Result<VersionInfo> Put(std::string_view, const SecretValue&, Stage) override {
    return MakeError(ErrorCode::kUnimplemented, "not here");
  }
  Result<void> PromoteToCurrent(std::string_view, std::string_view) override {
    return MakeError(ErrorCode::kUnimplemented, "not here");
  }
};

// Built for each input: the cache keeps its entries in memory of its own (MADV_DONTDUMP pages)
// that LeakSanitizer does not scan, so a manager living across inputs would read as a leak.
struct AgentFixture {
  AgentFixture() {
    locksmith::Dependencies deps;
    deps.options.background_refresh = false;
    deps.options.retry.max_attempts = 1;
    deps.clock = &clock;
    deps.random = &random;
    auto created =
        locksmith::SecretsManager::Create(std::make_unique<PlantedProvider>(), std::move(deps));
    FUZZ_CHECK(created.ok(), "the fuzz fixture's manager builds");
    manager = std::move(created).value();
    options.token = SecretValue(kAgentToken);
    options.clock = &clock;
  }
  locksmith::fuzz::FixedClock clock;
  locksmith::fuzz::CountingRandom random;
  locksmith::SecretsManagerPtr manager;
  locksmith::AgentOptions options;
};

bool HoldsPlanted(std::string_view text) {
  return std::any_of(std::begin(kPlantedValues), std::end(kPlantedValues),
                     [&](std::string_view v) { return text.find(v) != std::string_view::npos; });
}

// `text` with every valid %XX decoded (and, with `plus`, '+' as a space): what an id or
// parameter of the input could decode to, whatever else in it is malformed.
std::string LenientDecode(std::string_view text, bool plus) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += plus && text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

void CheckReply(const locksmith::internal::AgentReply& reply, bool right_token,
                bool input_planted) {
  static constexpr int kStatuses[] = {200, 400, 403, 404, 500, 503};
  FUZZ_CHECK(
      std::find(std::begin(kStatuses), std::end(kStatuses), reply.status) != std::end(kStatuses),
      "every answer has a documented status");
  FUZZ_CHECK(!reply.Body().empty(), "every answer has a body");
  FUZZ_CHECK(!locksmith::internal::StatusReason(reply.status).empty(), "a status has a reason");
  if (reply.content_type == locksmith::internal::kJsonContentType) {
    FUZZ_CHECK(nlohmann::json::accept(reply.Body()), "a JSON answer parses");
  }
  const bool secret_answer = !reply.secret_body.empty();
  FUZZ_CHECK(!secret_answer || (right_token && reply.status == 200),
             "a secret is answered only to the right token, with 200");
  if (!secret_answer && !input_planted) {
    FUZZ_CHECK(!HoldsPlanted(reply.Body()), "only a secret answer carries a planted value");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  locksmith::fuzz::SilenceLibraryLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace internal = locksmith::internal;
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  locksmith::fuzz::FuzzInput input(data, size);

  // "METHOD target HTTP/1.x" (the method is Beast's business: only GET and HEAD get here).
  const std::string_view line = input.TakeUntil("\r\n");
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space) {
    return 0;  // Beast answers 400 before the handler sees anything
  }
  const std::string target(line.substr(first_space + 1, last_space - first_space - 1));
  if (target.empty()) {
    return 0;
  }
  // Views of the header values stay valid in `headers` for the request's life.
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view header = input.TakeUntil("\r\n"); !header.empty();
       header = input.TakeUntil("\r\n")) {
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    headers.emplace_back(std::string(header.substr(0, colon)), std::string(value));
  }

  internal::AgentRequest request;
  request.target = target;
  request.http11 = line.substr(last_space + 1) != "HTTP/1.0";
  for (const auto& [name, value] : headers) {
    if (locksmith::internal::EqualsIgnoreCase(name, "Host")) {
      if (request.host_count++ == 0) {
        request.host = value;
      }
    } else if (locksmith::internal::EqualsIgnoreCase(name, "X-Forwarded-For")) {
      request.forwarded = true;
    } else if (locksmith::internal::EqualsIgnoreCase(name, locksmith::kAgentTokenHeader)) {
      if (request.token_count++ == 0) {
        request.token = value;
      }
    }
  }
  const bool right_token = request.token_count == 1 && request.token == kAgentToken;
  const bool input_planted = HoldsPlanted(whole) || HoldsPlanted(LenientDecode(target, true)) ||
                             HoldsPlanted(LenientDecode(target, false));

  if (const std::size_t q = target.find('?'); q != std::string::npos) {
    auto params = internal::ParseQuery(std::string_view(target).substr(q + 1));
    if (params.ok()) {
      std::vector<std::string_view> names;
      for (const auto& [name, value] : *params) {
        names.push_back(name);
      }
      std::sort(names.begin(), names.end());
      FUZZ_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end(),
                 "a parsed query holds each parameter once");
    } else {
      FUZZ_CHECK(!params.error().message.empty(), "a refused query has a message");
    }
  }

  AgentFixture fixture;
  internal::AgentHandler handler(fixture.options, *fixture.manager, nullptr, fixture.clock);
  auto routed = handler.Route(request);
  if (auto* reply = std::get_if<internal::AgentReply>(&routed)) {
    CheckReply(*reply, right_token, input_planted);
    return 0;
  }
  FUZZ_CHECK(right_token, "only a request with the right token is looked up");
  const auto& lookup = std::get<internal::SecretLookup>(routed);
  FUZZ_CHECK(!lookup.id.empty(), "a lookup names a secret");
  if (auto cached = handler.TryCached(lookup)) {
    CheckReply(*cached, right_token, input_planted);
  }
  CheckReply(handler.Fetch(lookup), right_token, input_planted);
  return 0;
}
