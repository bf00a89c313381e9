// The fault matrix's shared vocabulary (issue 14; docs/runtime.md "Fault matrix"): the faults a
// network back end can throw at the runtime, the states the runtime can be in when one hits, the
// outcome expected of each cell, the table in markdown, and an HttpClient that sends chosen
// requests where nothing answers (a refused port, a host name that does not resolve).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"
#include "transport/http_client.h"

namespace locksmith::testing {

enum class Fault {
  kSealed,               // Vault 503 sealed; AWS 503 ServiceUnavailable
  kThrottledRetryAfter,  // 429 with Retry-After
  kThrottled,            // 429 (AWS: ThrottlingException) without Retry-After
  kServerError,          // 500
  kTimeout,              // no answer within the request timeout
  kReset,                // the connection is reset (RST) instead of answered
  kRefused,              // nothing listens on the port
  kMalformed,            // 200 with a body that is not JSON
  kTruncated,            // Content-Length larger than what is sent, then a close
  kExpiredToken,         // Vault: the token expired at the server; AWS: ExpiredTokenException
  kBadSignature,         // Vault: 403 for a bad token; AWS: InvalidSignatureException
  kClockSkew,            // AWS: the server's clock 10 minutes away from ours
  kDnsFailure,           // the host name does not resolve
};
inline constexpr std::array kAllFaults = {Fault::kSealed,       Fault::kThrottledRetryAfter,
                                          Fault::kThrottled,    Fault::kServerError,
                                          Fault::kTimeout,      Fault::kReset,
                                          Fault::kRefused,      Fault::kMalformed,
                                          Fault::kTruncated,    Fault::kExpiredToken,
                                          Fault::kBadSignature, Fault::kClockSkew,
                                          Fault::kDnsFailure};

enum class State {
  kCold,          // nothing cached: the first Get
  kWarm,          // a cached value whose TTL passed: Get fetches
  kRefreshAhead,  // the background refresh (refresh-ahead) runs into the fault
  kBreakerOpen,   // the breaker is open (a cached value, past its TTL); then its trial call
  kRenewal,       // Vault: the AppRole re-login of an expired token; AWS: the re-signed request
                  // after a credential refresh
};
inline constexpr std::array kAllStates = {State::kCold, State::kWarm, State::kRefreshAhead,
                                          State::kBreakerOpen, State::kRenewal};

inline std::string_view FaultName(Fault fault) {
  constexpr std::array<std::string_view, kAllFaults.size()> kNames = {"503 sealed / unavailable",
                                                                      "429 with Retry-After",
                                                                      "429 without Retry-After",
                                                                      "500",
                                                                      "timeout",
                                                                      "connection reset",
                                                                      "connection refused",
                                                                      "malformed JSON",
                                                                      "truncated body",
                                                                      "expired token",
                                                                      "bad signature / bad token",
                                                                      "clock skew",
                                                                      "DNS failure"};
  return kNames[static_cast<std::size_t>(fault)];
}

inline std::string_view StateName(State state) {
  constexpr std::array<std::string_view, kAllStates.size()> kNames = {
      "cold cache", "warm cache (TTL passed)", "background refresh", "breaker open",
      "token renewal"};
  return kNames[static_cast<std::size_t>(state)];
}

enum class Outcome {
  kFresh,          // the back end's current value
  kStale,          // the last good value, counted in secrets_manager_stale_served_total
  kKept,           // refresh-ahead failed: the cached value stays (refresh failure counted)
  kError,          // an error with `code`
  kNotApplicable,  // the cell cannot happen; `note` says why
};

struct Expect {
  Outcome outcome = Outcome::kNotApplicable;
  ErrorCode code = ErrorCode::kInternal;   // for kError
  int tries = 0;                           // requests the fault met (0: none sent)
  bool breaker_open = false;               // the breaker's state after the cell
  std::chrono::milliseconds min_sleep{0};  // every retry waited at least this (Retry-After)
  // Each try may reach the server twice: libcurl re-sends a request once, on a fresh connection,
  // when the kept-alive connection it reused died before any answer.
  bool may_resend = false;
  std::string_view note;  // n/a: why
};

inline Expect MakeExpect(Outcome outcome, ErrorCode code, int tries, bool breaker_open) {
  Expect expect;
  expect.outcome = outcome;
  expect.code = code;
  expect.tries = tries;
  expect.breaker_open = breaker_open;
  return expect;
}
inline Expect Fresh(int tries) {
  return MakeExpect(Outcome::kFresh, ErrorCode::kInternal, tries, false);
}
inline Expect Stale(int tries, bool breaker_open) {
  return MakeExpect(Outcome::kStale, ErrorCode::kInternal, tries, breaker_open);
}
inline Expect Kept(int tries, bool breaker_open) {
  return MakeExpect(Outcome::kKept, ErrorCode::kInternal, tries, breaker_open);
}
inline Expect Err(ErrorCode code, int tries, bool breaker_open) {
  return MakeExpect(Outcome::kError, code, tries, breaker_open);
}
inline Expect AfterRetryAfter(Expect expect, std::chrono::milliseconds wait) {
  expect.min_sleep = wait;
  return expect;
}
inline Expect MayResend(Expect expect) {
  expect.may_resend = true;
  return expect;
}
inline Expect Na(std::string_view why) {
  Expect expect;
  expect.note = why;
  return expect;
}

// One table cell: "stale, 3 tries, breaker opens".
inline std::string DescribeExpect(const Expect& e) {
  std::string out;
  switch (e.outcome) {
    case Outcome::kFresh:
      out = "fresh value";
      break;
    case Outcome::kStale:
      out = "cache (stale)";
      break;
    case Outcome::kKept:
      out = "cached value kept";
      break;
    case Outcome::kError:
      out = "error " + std::string(ErrorCodeName(e.code));
      break;
    case Outcome::kNotApplicable:
      return "n/a: " + std::string(e.note);
  }
  out += ", " + std::to_string(e.tries) + (e.tries == 1 ? " try" : " tries");
  if (e.may_resend) {
    out += " (each may be re-sent once by libcurl)";
  }
  if (e.min_sleep.count() > 0) {
    out += " " + std::to_string(e.min_sleep.count() / 1000) + " s apart (Retry-After)";
  }
  if (e.breaker_open) {
    out += ", breaker opens";
  }
  return out;
}

struct MatrixRow {
  Fault fault;
  std::array<Expect, kAllStates.size()> cells;
};

// The table as docs/runtime.md shows it.
inline std::string MarkdownTable(const std::vector<MatrixRow>& rows) {
  std::string out = "| fault |";
  for (State state : kAllStates) {
    out += " " + std::string(StateName(state)) + " |";
  }
  out += "\n|---|";
  for (std::size_t i = 0; i < kAllStates.size(); ++i) {
    out += "---|";
  }
  out += "\n";
  for (const MatrixRow& row : rows) {
    out += "| " + std::string(FaultName(row.fault)) + " |";
    for (const Expect& cell : row.cells) {
      out += " " + DescribeExpect(cell) + " |";
    }
    out += "\n";
  }
  return out;
}

// Forwards to a real client; while `divert_to` is set ("http://127.0.0.1:PORT",
// "https://nonexistent.invalid"), requests whose URL contains `divert_match` go there instead
// (scheme, host and port replaced; after the first `pass_first` of them), and are counted.
// Single-threaded use (background work off).
class DivertingHttpClient : public internal::HttpClient {
 public:
  explicit DivertingHttpClient(internal::HttpClientPtr inner) : inner_(std::move(inner)) {}

  Result<internal::HttpResponse> Send(const internal::HttpRequest& request) override {
    if (divert_to.empty() || request.url.find(divert_match) == std::string::npos) {
      return inner_->Send(request);
    }
    if (pass_first > 0) {
      --pass_first;
      return inner_->Send(request);
    }
    diverted++;
    internal::HttpRequest copy(request.method, divert_to + PathOf(request.url));
    for (const auto& header : request.headers) {
      copy.headers.push_back(header);
    }
    copy.body = request.body;
    copy.timeout = request.timeout;
    copy.max_response_bytes = request.max_response_bytes;
    return inner_->Send(copy);
  }

  std::string divert_to;
  std::string divert_match;
  int pass_first = 0;  // matching requests still sent where they were going
  int diverted = 0;

 private:
  static std::string PathOf(const std::string& url) {
    const auto scheme_end = url.find("://");
    const auto path = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    return path == std::string::npos ? "/" : url.substr(path);
  }

  internal::HttpClientPtr inner_;
};

// Whether `got` is a value equal to `want` (false for an error, never a crash).
inline bool Holds(const Result<SecretValue>& got, std::string_view want) {
  return got.ok() && got->Equals(want);
}

// A loopback port nothing listens on (bound, then closed).
int RefusedPortForTest();

// The value of the sample of metric `name` whose labels contain `label` (e.g. `secret="k"`) in a
// Prometheus text exposition; 0 when absent.
double MetricSample(const std::string& text, std::string_view name, std::string_view label);

}  // namespace locksmith::testing
