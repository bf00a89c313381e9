// The fault matrix for Vault (issue 14; docs/runtime.md "Fault matrix"): every fault of
// tests/support/fault_matrix.h in every state, through SecretsManager over the real VaultProvider
// and the Vault test server, with the outcome of each cell asserted: the value served (fresh or
// stale), the error code, how many requests met the fault (counted at the server, or at the
// client for faults that never reach it), the breaker's state, Retry-After honoured through the
// fake clock, and no planted value, secret id or token in any error or log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "locksmith/metrics.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "locksmith/vault_provider.h"
#include "providers/vault/vault_provider_fixture.h"
#include "runtime/secrets_manager_impl.h"
#include "support/fault_matrix.h"
#include "support/log_capture.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::Err;
using ::locksmith::testing::Expect;
using ::locksmith::testing::Fault;
using ::locksmith::testing::Fresh;
using ::locksmith::testing::Kept;
using ::locksmith::testing::MatrixRow;
using ::locksmith::testing::MayResend;
using ::locksmith::testing::Na;
using ::locksmith::testing::Outcome;
using ::locksmith::testing::Stale;
using ::locksmith::testing::State;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVaultOldValue[] = "planted-VaultMatrix-Old-5c1e";
constexpr char kVaultNewValue[] = "planted-VaultMatrix-New-93ad";
constexpr auto kVaultRequestTimeout = 300ms;

constexpr ErrorCode kUnavailable = ErrorCode::kUnavailable;
constexpr ErrorCode kThrottled = ErrorCode::kThrottled;
constexpr ErrorCode kDeadline = ErrorCode::kDeadlineExceeded;
constexpr ErrorCode kUnauthenticated = ErrorCode::kUnauthenticated;
constexpr auto kRetryAfter = std::chrono::milliseconds(1000);

Expect Ra(Expect e) { return testing::AfterRetryAfter(e, kRetryAfter); }

// Vault signs nothing with time and states TTLs as durations (lease_duration, ttl); the one
// server timestamp compared with our clock is deletion_time (vault_delete_version_after_test).
constexpr std::string_view kNoSkew = "nothing compares Vault's clock with ours";
constexpr std::string_view kLoginHasNoToken =
    "the AppRole login carries no token; an expired token is what starts this column";

// Columns: cold, warm (TTL passed), background refresh, breaker open (its trial call after
// open_duration; while open every fault is unseen: 0 requests, stale value), token renewal (the
// AppRole re-login after the token expired at the server hits the fault; value past its TTL).
// Retry policy: 3 tries; breaker threshold 1 call.
const std::vector<MatrixRow>& VaultMatrix() {
  static const std::vector<MatrixRow> rows = {
      {Fault::kSealed,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      {Fault::kThrottledRetryAfter,
       {Ra(Err(kThrottled, 3, true)), Ra(Stale(3, true)), Ra(Kept(3, true)), Ra(Stale(3, true)),
        Ra(Stale(3, true))}},
      {Fault::kThrottled,
       {Err(kThrottled, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      {Fault::kServerError,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      {Fault::kTimeout,
       {Err(kDeadline, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      // Up to twice the tries reach the server: libcurl re-sends once, on a fresh connection, a
      // request whose reused keep-alive connection died before any answer (each login follows a
      // lookup-self on a kept-alive connection, so there every try is two requests).
      {Fault::kReset,
       {MayResend(Err(kUnavailable, 3, true)), MayResend(Stale(3, true)), MayResend(Kept(3, true)),
        MayResend(Stale(3, true)), MayResend(Stale(3, true))}},
      {Fault::kRefused,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      {Fault::kMalformed,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      {Fault::kTruncated,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
      // Cold: the mount look-up meets the 403 and logs in again, then one read. Otherwise: the
      // metadata read is refused, re-login, metadata again, then the new version's data.
      {Fault::kExpiredToken, {Fresh(1), Fresh(3), Fresh(3), Fresh(3), Na(kLoginHasNoToken)}},
      {Fault::kBadSignature,
       {Err(kUnauthenticated, 1, false), Err(kUnauthenticated, 2, false), Kept(2, false),
        Err(kUnauthenticated, 2, false), Err(kUnauthenticated, 1, false)}},
      {Fault::kClockSkew, {Na(kNoSkew), Na(kNoSkew), Na(kNoSkew), Na(kNoSkew), Na(kNoSkew)}},
      {Fault::kDnsFailure,
       {Err(kUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(3, true)}},
  };
  return rows;
}

struct Observed {
  Outcome outcome = Outcome::kNotApplicable;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int tries = 0;
  bool breaker_open = false;
  std::vector<std::chrono::nanoseconds> sleeps;
};

class VaultFaultMatrixTest : public VaultProviderTest {
 protected:
  void SetUp() override {
    VaultProviderTest::SetUp();
    approle_ = server_.MakeAppRole("matrix", "matrix-writer", kWriterPolicy);
  }

  static SecretsManagerOptions MatrixOptions() {
    SecretsManagerOptions options;
    options.cache.ttl = 60s;
    options.cache.ttl_jitter = 0;
    options.cache.refresh_ahead = 0.8;
    options.cache.max_staleness = 10min;
    options.retry.max_attempts = 3;
    options.retry.base_delay = 100ms;
    options.retry.max_delay = 5s;
    options.breaker.failure_threshold = 1;
    options.breaker.open_duration = 30s;
    options.background_refresh = false;
    return options;
  }

  // Requests the server saw under "secret/" (data and metadata) or for AppRole logins.
  int ServerCount(bool logins) {
    auto stats = server_.Stats();
    const auto& by_area = stats["by_area"];
    if (logins) {
      return by_area.value("auth/approle", 0);
    }
    return by_area.value("secret/data", 0) + by_area.value("secret/metadata", 0);
  }

  // Sets the fault up at the server or in the client; false: the cell is n/a.
  void Arm(Fault fault, State state, testing::DivertingHttpClient& http) {
    const bool login = state == State::kRenewal;
    const std::string path = login ? "auth/approle/login" : "secret/";
    auto set = [&](nlohmann::json spec) {
      spec["path"] = path;
      server_.SetFault(spec);
    };
    switch (fault) {
      case Fault::kSealed:
        return set({{"mode", "sealed"}});
      case Fault::kThrottledRetryAfter:
        return set({{"mode", "429"}, {"retry_after", 1}});
      case Fault::kThrottled:
        return set({{"mode", "429"}});
      case Fault::kServerError:
        return set({{"mode", "500"}});
      case Fault::kTimeout:
        return set({{"mode", "slow"}, {"delay", 3}});
      case Fault::kReset:
        return set({{"mode", "reset"}});
      case Fault::kMalformed:
        return set({{"mode", "malformed"}});
      case Fault::kTruncated:
        return set({{"mode", "truncated"}});
      case Fault::kRefused:
        http.divert_to = "http://127.0.0.1:" + std::to_string(testing::RefusedPortForTest());
        http.divert_match = "/v1/" + path;
        return;
      case Fault::kDnsFailure:
        http.divert_to = "https://nonexistent.invalid:8200";
        http.divert_match = "/v1/" + path;
        return;
      case Fault::kExpiredToken:
        server_.AdvanceClock(std::chrono::hours(2));  // the 1 h token is dead at the server
        return;
      case Fault::kBadSignature:
        if (login) {  // what Vault answers a wrong secret id
          return set({{"mode", "answer"},
                      {"status", 400},
                      {"body", {{"errors", {"invalid role or secret ID"}}}}});
        }
        return set(
            {{"mode", "answer"},
             {"status", 403},
             {"body",
              {{"errors", {"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"}}}}});
      case Fault::kClockSkew:
        return;
    }
  }

  void Disarm(testing::DivertingHttpClient& http) {
    server_.SetFault({{"mode", "none"}});
    http.divert_to.clear();
  }

  Observed RunCell(Fault fault, State state) {
    Observed seen;
    testing::FakeClock clock;
    testing::FakeRandom random;
    random.SetUniformFraction(1.0);  // backoff 100 ms, 200 ms
    Write("matrix-k", kVaultOldValue);
    VaultOptions options = Options(approle_);
    options.timeout = kVaultRequestTimeout;
    auto curl = internal::CreateCurlHttpClient({});
    EXPECT_THAT(curl, testing::IsOk());
    auto diverting = std::make_unique<testing::DivertingHttpClient>(std::move(curl).value());
    testing::DivertingHttpClient& http = *diverting;
    auto provider =
        internal::VaultProvider::Create(std::move(options), std::move(diverting), clock, random);
    EXPECT_THAT(provider, testing::IsOk());
    if (!provider.ok()) {
      return seen;
    }
    auto metrics = Metrics::Create();
    auto created = SecretsManager::Create(
        std::move(provider).value(),
        {.options = MatrixOptions(), .clock = &clock, .random = &random, .metrics = metrics.get()});
    EXPECT_THAT(created, testing::IsOk());
    SecretsManagerPtr manager = std::move(created).value();

    if (state != State::kCold) {
      auto first = manager->Get("matrix-k");
      EXPECT_THAT(first, testing::IsOk());
      Write("matrix-k", kVaultNewValue);
    }
    switch (state) {
      case State::kCold:
        break;
      case State::kWarm:
        clock.Advance(61s);
        break;
      case State::kRefreshAhead:
        clock.Advance(50s);  // past 0.8 x 60 s: this hit queues the refresh
        EXPECT_TRUE(testing::Holds(manager->Get("matrix-k"), kVaultOldValue));
        break;
      case State::kBreakerOpen: {
        clock.Advance(61s);
        server_.SetFault({{"mode", "sealed"}, {"path", "secret/"}});
        EXPECT_TRUE(
            testing::Holds(manager->Get("matrix-k"), kVaultOldValue));  // stale; breaker opens
        EXPECT_EQ(manager->Status().breaker, BreakerState::kOpen);
        Disarm(http);
        break;
      }
      case State::kRenewal:
        clock.Advance(61s);
        server_.AdvanceClock(std::chrono::hours(2));  // the token expires at the server
        break;
    }
    const double stale_before = StaleServed(*metrics);
    const double refresh_failures_before = testing::MetricSample(
        metrics->RenderText(), "secrets_manager_refresh_failures_total", "secret=\"matrix-k\"");
    Arm(fault, state, http);
    if (state == State::kBreakerOpen) {
      // While open, the fault is never met: the breaker answers from the cache.
      const int before = ServerCount(false) + http.diverted;
      EXPECT_TRUE(testing::Holds(manager->Get("matrix-k"), kVaultOldValue));
      EXPECT_EQ(ServerCount(false) + http.diverted, before) << "a request passed an open breaker";
      clock.Advance(31s);  // open_duration: the next call is the trial
    }
    const bool logins = state == State::kRenewal;
    const int count_before = ServerCount(logins) + http.diverted;
    const std::size_t sleeps_before = clock.Sleeps().size();

    Result<SecretValue> got = MakeError(ErrorCode::kInternal, "not run");
    if (state == State::kRefreshAhead) {
      internal::ImplOf(*manager).RunBackgroundWorkForTest();
      seen.tries = ServerCount(logins) + http.diverted - count_before;
      Disarm(http);
      got = manager->Get("matrix-k");
    } else {
      got = manager->Get("matrix-k");
      seen.tries = ServerCount(logins) + http.diverted - count_before;
      Disarm(http);
    }
    auto sleeps = clock.Sleeps();
    seen.sleeps.assign(sleeps.begin() + static_cast<std::ptrdiff_t>(sleeps_before), sleeps.end());
    seen.breaker_open = manager->Status().breaker == BreakerState::kOpen;
    if (!got.ok()) {
      seen.outcome = Outcome::kError;
      seen.code = got.error().code;
      seen.message = got.error().message;
    } else if (got->Equals(state == State::kCold ? kVaultOldValue : kVaultNewValue)) {
      seen.outcome = Outcome::kFresh;
    } else if (state == State::kRefreshAhead) {
      seen.outcome = Outcome::kKept;
      EXPECT_GT(
          testing::MetricSample(metrics->RenderText(), "secrets_manager_refresh_failures_total",
                                "secret=\"matrix-k\""),
          refresh_failures_before);
    } else {
      seen.outcome = Outcome::kStale;
      EXPECT_GT(StaleServed(*metrics), stale_before) << "stale value served but not counted";
    }
    return seen;
  }

  static double StaleServed(Metrics& metrics) {
    return testing::MetricSample(metrics.RenderText(), "secrets_manager_stale_served_total",
                                 "secret=\"matrix-k\"");
  }

  std::pair<std::string, std::string> approle_;
};

TEST_F(VaultFaultMatrixTest, EveryFaultInEveryState) {
  testing::LogCapture logs;
  int asserted = 0;
  int not_applicable = 0;
  for (const MatrixRow& row : VaultMatrix()) {
    for (std::size_t column = 0; column < testing::kAllStates.size(); ++column) {
      const State state = testing::kAllStates[column];
      const Expect& want = row.cells[column];
      SCOPED_TRACE(std::string(testing::FaultName(row.fault)) + " x " +
                   std::string(testing::StateName(state)) + ": expected " +
                   testing::DescribeExpect(want));
      if (want.outcome == Outcome::kNotApplicable) {
        ++not_applicable;
        continue;
      }
      ++asserted;
      Observed seen = RunCell(row.fault, state);
      EXPECT_EQ(seen.outcome, want.outcome);
      if (want.outcome == Outcome::kError) {
        EXPECT_EQ(seen.code, want.code) << seen.message;
      }
      if (want.may_resend) {
        EXPECT_GE(seen.tries, want.tries) << seen.message;
        EXPECT_LE(seen.tries, 2 * want.tries) << seen.message;
      } else {
        EXPECT_EQ(seen.tries, want.tries) << seen.message;
      }
      EXPECT_EQ(seen.breaker_open, want.breaker_open);
      if (want.min_sleep.count() > 0) {
        EXPECT_EQ(seen.sleeps.size(), static_cast<std::size_t>(want.tries - 1));
        for (auto slept : seen.sleeps) {
          EXPECT_GE(slept, want.min_sleep);
        }
      }
      for (const std::string& secret : {std::string(kVaultOldValue), std::string(kVaultNewValue),
                                        approle_.second, std::string("hvs.")}) {
        EXPECT_THAT(seen.message, Not(HasSubstr(secret)));
      }
    }
  }
  for (const std::string& secret : {std::string(kVaultOldValue), std::string(kVaultNewValue),
                                    approle_.second, std::string("hvs.")}) {
    EXPECT_THAT(logs.Text(), Not(HasSubstr(secret)));
  }
  EXPECT_EQ(asserted + not_applicable, 65);
  std::cout << "Vault fault matrix: " << asserted << " cells asserted, " << not_applicable
            << " n/a\n"
            << testing::MarkdownTable(VaultMatrix());
}

}  // namespace
}  // namespace locksmith
