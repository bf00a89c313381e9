// The fault matrix for AWS Secrets Manager (issue 14; docs/runtime.md "Fault matrix"): every fault
// of tests/support/fault_matrix.h in every state, through SecretsManager over the real AWS
// provider and the AWS test server, signed with temporary credentials that a test credential
// source issues (and registers at the server) on every fetch, so an ExpiredTokenException leads
// to a real refresh. Asserted per cell: the value served (fresh or stale), the error code, the
// requests that met the fault (counted at the server, or at the client for faults that never
// reach it), the breaker's state, Retry-After honoured through the fake clock, and no planted
// value, secret access key or session token in any error or log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/metrics.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/aws_credentials.h"
#include "providers/aws/aws_provider_internal.h"
#include "providers/aws/aws_test_server.h"
#include "runtime/secrets_manager_impl.h"
#include "support/fault_matrix.h"
#include "support/log_capture.h"
#include "transport/curl_http_client.h"

namespace locksmith {
namespace {

using ::locksmith::testing::AwsTestServer;
using ::locksmith::testing::Err;
using ::locksmith::testing::Expect;
using ::locksmith::testing::Fault;
using ::locksmith::testing::Fresh;
using ::locksmith::testing::IsOk;
using ::locksmith::testing::Kept;
using ::locksmith::testing::MatrixRow;
using ::locksmith::testing::MayResend;
using ::locksmith::testing::Na;
using ::locksmith::testing::Outcome;
using ::locksmith::testing::Stale;
using ::locksmith::testing::State;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kAwsOldValue[] = "planted-AwsMatrix-Old-7f20";
constexpr char kAwsNewValue[] = "planted-AwsMatrix-New-e641";
constexpr char kAwsMatrixPrefix[] = "fault-matrix";
constexpr char kIssuedSecretPrefix[] = "matrix-issued-secret-key-";
constexpr char kIssuedTokenPrefix[] = "matrix-issued-session-token-";
constexpr auto kAwsRequestTimeout = 300ms;

constexpr ErrorCode kAwsUnavailable = ErrorCode::kUnavailable;
constexpr ErrorCode kAwsThrottled = ErrorCode::kThrottled;
constexpr ErrorCode kAwsDeadline = ErrorCode::kDeadlineExceeded;
constexpr ErrorCode kAwsUnauthenticated = ErrorCode::kUnauthenticated;

Expect AwsRa(Expect e) { return testing::AfterRetryAfter(e, std::chrono::milliseconds(1000)); }

constexpr std::string_view kRefreshStartsColumn =
    "an ExpiredTokenException is what starts this column";
constexpr std::string_view kSkewBeforeExpiry =
    "AWS checks the signature's time before the token's expiry: a skewed request is refused "
    "before any refresh (as in the warm column)";

// Columns: cold, warm (TTL passed), background refresh, breaker open (its trial call after
// open_duration; while open every fault is unseen: 0 requests, stale value), credential refresh
// (the request is answered ExpiredTokenException, the credentials are fetched again, and the
// fault meets the re-signed request and the retries; tries count the expired answer too).
// Retry policy: 3 tries; breaker threshold 1 call. "429 without Retry-After" is AWS's own
// throttling answer, HTTP 400 ThrottlingException.
const std::vector<MatrixRow>& AwsMatrix() {
  static const std::vector<MatrixRow> rows = {
      {Fault::kSealed,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kThrottledRetryAfter,
       {AwsRa(Err(kAwsThrottled, 3, true)), AwsRa(Stale(3, true)), AwsRa(Kept(3, true)),
        AwsRa(Stale(3, true)), AwsRa(Stale(4, true))}},
      {Fault::kThrottled,
       {Err(kAwsThrottled, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kServerError,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kTimeout,
       {Err(kAwsDeadline, 3, true), Stale(3, true), Kept(3, true), Stale(3, true), Stale(4, true)}},
      // Up to twice the tries reach the server: libcurl re-sends once, on a fresh connection, a
      // request whose reused keep-alive connection died before any answer.
      {Fault::kReset,
       {MayResend(Err(kAwsUnavailable, 3, true)), MayResend(Stale(3, true)),
        MayResend(Kept(3, true)), MayResend(Stale(3, true)), MayResend(Stale(4, true))}},
      {Fault::kRefused,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kMalformed,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kTruncated,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
      {Fault::kExpiredToken, {Fresh(2), Fresh(3), Fresh(3), Fresh(3), Na(kRefreshStartsColumn)}},
      {Fault::kBadSignature,
       {Err(kAwsUnauthenticated, 1, false), Err(kAwsUnauthenticated, 1, false), Kept(1, false),
        Err(kAwsUnauthenticated, 1, false), Err(kAwsUnauthenticated, 2, false)}},
      {Fault::kClockSkew,
       {Err(kAwsUnauthenticated, 1, false), Err(kAwsUnauthenticated, 1, false), Kept(1, false),
        Err(kAwsUnauthenticated, 1, false), Na(kSkewBeforeExpiry)}},
      {Fault::kDnsFailure,
       {Err(kAwsUnavailable, 3, true), Stale(3, true), Kept(3, true), Stale(3, true),
        Stale(4, true)}},
  };
  return rows;
}

// Temporary credentials, new ones at every Fetch, registered at the server for an hour.
// `wrong_secret_next` registers the next ones with another secret key (the server then refuses
// their signatures).
class IssuingCredentialSource : public internal::AwsCredentialSource {
 public:
  IssuingCredentialSource(AwsTestServer& server, Clock& clock, int& serial)
      : server_(server), clock_(clock), serial_(serial) {}

  Result<internal::AwsCredentials> Fetch() override {
    const std::string n = std::to_string(++serial_);
    access_key_ = "ASIAMATRIX" + n;
    secret_key_ = kIssuedSecretPrefix + n;
    token_ = kIssuedTokenPrefix + n;
    Register(expired_next ? EpochNow() - 1 : EpochNow() + 3600, wrong_secret_next);
    wrong_secret_next = false;
    expired_next = false;
    internal::AwsCredentials credentials;
    credentials.access_key_id = access_key_;
    credentials.secret_access_key = SecretValue(secret_key_);
    credentials.session_token = SecretValue(token_);
    credentials.expiration = clock_.WallNow() + 1h;
    credentials.source = "fault matrix";
    return credentials;
  }
  std::string_view Name() const override { return "fault matrix"; }

  // The server now holds the current credentials as expired (we still think them good).
  void ExpireAtServer() { Register(EpochNow() - 1, false); }
  void BreakAtServer() { Register(EpochNow() + 3600, true); }

  bool wrong_secret_next = false;
  bool expired_next = false;  // the next credentials are expired at the server from the start

 private:
  std::int64_t EpochNow() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch())
        .count();
  }
  void Register(std::int64_t expires, bool wrong_secret) {
    server_.Control("POST", "/_test/credentials",
                    {{"access_key", access_key_},
                     {"secret_key", wrong_secret ? "not-" + secret_key_ : secret_key_},
                     {"token", token_},
                     {"expires", expires}});
  }

  AwsTestServer& server_;
  Clock& clock_;
  int& serial_;
  std::string access_key_;
  std::string secret_key_;
  std::string token_;
};

struct AwsObserved {
  Outcome outcome = Outcome::kNotApplicable;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int tries = 0;
  bool breaker_open = false;
  std::vector<std::chrono::nanoseconds> sleeps;
};

class AwsFaultMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "aws test server did not start"; }

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

  AwsOptions Options() {
    AwsOptions options;
    options.region = "eu-west-1";
    options.endpoint_url = server_.url();
    options.prefix = kAwsMatrixPrefix;
    options.timeout = kAwsRequestTimeout;
    return options;
  }

  // Writes with the server's default key, outside the matrix's provider: one writer for the whole
  // matrix, with real randomness (FakeRandom's bytes repeat after 16 idempotency tokens).
  void Write(const char* value) {
    if (writer_ == nullptr) {
      std::map<std::string, std::string> vars = {
          {"AWS_ACCESS_KEY_ID", testing::kAwsTestAccessKey},
          {"AWS_SECRET_ACCESS_KEY", testing::kAwsTestSecretKey}};
      EnvLookup env = [vars](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
      };
      auto http = internal::CreateCurlHttpClient({});
      ASSERT_THAT(http, IsOk());
      auto writer = internal::AwsProviderImpl::Create(Options(), std::move(http).value(), nullptr,
                                                      internal::MakeEnvCredentialSource(env),
                                                      writer_clock_, SystemRandom());
      ASSERT_THAT(writer, IsOk());
      writer_ = std::move(writer).value();
    }
    ASSERT_THAT(writer_->Put("matrix-k", SecretValue(value), Stage::kCurrent), IsOk());
  }

  // Every request the server saw (answered or refused by authentication).
  int ServerCount() {
    auto stats = server_.Stats();
    int total = stats.value("auth_failures", 0);
    for (const auto& [op, n] : stats["ops"].items()) {
      total += n.get<int>();
    }
    return total;
  }

  void Arm(Fault fault, State state, testing::DivertingHttpClient& http,
           IssuingCredentialSource& source, testing::FakeClock& clock) {
    auto set = [&](nlohmann::json spec) {
      spec["count"] = 100;
      server_.Fault(spec);
    };
    const int pass = state == State::kRenewal ? 1 : 0;  // the expired answer comes first
    switch (fault) {
      case Fault::kSealed:
        return set({{"kind", "unavailable"}});
      case Fault::kThrottledRetryAfter:
        return set({{"kind", "throttle"}, {"status", 429}, {"retry_after", 1}});
      case Fault::kThrottled:
        return set({{"kind", "throttle"}});
      case Fault::kServerError:
        return set({{"kind", "500"}});
      case Fault::kTimeout:
        return set({{"kind", "slow"}, {"seconds", 1}});
      case Fault::kReset:
        return set({{"kind", "reset"}});
      case Fault::kMalformed:
        return set({{"kind", "malformed"}});
      case Fault::kTruncated:
        return set({{"kind", "drop"}});
      case Fault::kRefused:
        http.divert_to = "http://127.0.0.1:" + std::to_string(testing::RefusedPortForTest());
        http.divert_match = server_.url();
        http.pass_first = pass;
        return;
      case Fault::kDnsFailure:
        http.divert_to = "https://nonexistent.invalid";
        http.divert_match = server_.url();
        http.pass_first = pass;
        return;
      case Fault::kExpiredToken:
        if (state == State::kCold) {  // none fetched yet: the first ones the chain gives
          source.expired_next = true;
          return;
        }
        return source.ExpireAtServer();
      case Fault::kBadSignature:
        if (state == State::kRenewal || state == State::kCold) {
          source.wrong_secret_next = true;  // the next credentials fetched are refused
          return;
        }
        return source.BreakAtServer();
      case Fault::kClockSkew:
        server_.SetClock(clock.WallNow() + 10min);  // AWS allows 5
        return;
    }
  }

  void Disarm(testing::DivertingHttpClient& http, testing::FakeClock& clock) {
    server_.Fault({{"kind", "clear"}});
    server_.SetClock(clock.WallNow());
    http.divert_to.clear();
    http.pass_first = 0;
  }

  AwsObserved RunCell(Fault fault, State state) {
    AwsObserved seen;
    testing::FakeClock clock;
    testing::FakeRandom random;
    random.SetUniformFraction(1.0);  // backoff 100 ms, 200 ms
    server_.Fault({{"kind", "clear"}});
    server_.SetClock(clock.WallNow());
    Write(kAwsOldValue);
    auto advance = [&](std::chrono::seconds s) {
      clock.Advance(s);
      server_.AdvanceClock(s);
    };
    auto curl = internal::CreateCurlHttpClient({});
    EXPECT_THAT(curl, IsOk());
    auto diverting = std::make_unique<testing::DivertingHttpClient>(std::move(curl).value());
    testing::DivertingHttpClient& http = *diverting;
    auto owned_source = std::make_unique<IssuingCredentialSource>(server_, clock, serial_);
    IssuingCredentialSource& source = *owned_source;
    auto provider = internal::AwsProviderImpl::Create(Options(), std::move(diverting), nullptr,
                                                      std::move(owned_source), clock, random);
    EXPECT_THAT(provider, IsOk());
    if (!provider.ok()) {
      return seen;
    }
    auto metrics = Metrics::Create();
    auto created = SecretsManager::Create(
        std::move(provider).value(),
        {.options = MatrixOptions(), .clock = &clock, .random = &random, .metrics = metrics.get()});
    EXPECT_THAT(created, IsOk());
    SecretsManagerPtr manager = std::move(created).value();

    if (state != State::kCold) {
      EXPECT_THAT(manager->Get("matrix-k"), IsOk());
      Write(kAwsNewValue);
    }
    switch (state) {
      case State::kCold:
        break;
      case State::kWarm:
        advance(61s);
        break;
      case State::kRefreshAhead:
        advance(50s);  // past 0.8 x 60 s: this hit queues the refresh
        EXPECT_TRUE(testing::Holds(manager->Get("matrix-k"), kAwsOldValue));
        break;
      case State::kBreakerOpen:
        advance(61s);
        server_.Fault({{"kind", "unavailable"}, {"count", 3}});
        EXPECT_TRUE(
            testing::Holds(manager->Get("matrix-k"), kAwsOldValue));  // stale; breaker opens
        EXPECT_EQ(manager->Status().breaker, BreakerState::kOpen);
        Disarm(http, clock);
        break;
      case State::kRenewal:
        advance(61s);
        source.ExpireAtServer();
        break;
    }
    auto metric = [&](std::string_view name) {
      return testing::MetricSample(metrics->RenderText(), name, "secret=\"matrix-k\"");
    };
    const double stale_before = metric("secrets_manager_stale_served_total");
    const double refresh_failures_before = metric("secrets_manager_refresh_failures_total");
    Arm(fault, state, http, source, clock);
    if (state == State::kBreakerOpen) {
      const int before = ServerCount() + http.diverted;
      EXPECT_TRUE(testing::Holds(manager->Get("matrix-k"), kAwsOldValue));
      EXPECT_EQ(ServerCount() + http.diverted, before) << "a request passed an open breaker";
      clock.Advance(31s);  // open_duration: the next call is the trial (server clock as armed)
      if (fault != Fault::kClockSkew) {
        server_.AdvanceClock(31s);
      } else {
        server_.SetClock(clock.WallNow() + 10min);
      }
    }
    const int count_before = ServerCount() + http.diverted;
    const std::size_t sleeps_before = clock.Sleeps().size();

    Result<SecretValue> got = MakeError(ErrorCode::kInternal, "not run");
    if (state == State::kRefreshAhead) {
      internal::ImplOf(*manager).RunBackgroundWorkForTest();
      seen.tries = ServerCount() + http.diverted - count_before;
      Disarm(http, clock);
      got = manager->Get("matrix-k");
    } else {
      got = manager->Get("matrix-k");
      seen.tries = ServerCount() + http.diverted - count_before;
      Disarm(http, clock);
    }
    auto sleeps = clock.Sleeps();
    seen.sleeps.assign(sleeps.begin() + static_cast<std::ptrdiff_t>(sleeps_before), sleeps.end());
    seen.breaker_open = manager->Status().breaker == BreakerState::kOpen;
    if (!got.ok()) {
      seen.outcome = Outcome::kError;
      seen.code = got.error().code;
      seen.message = got.error().message;
    } else if (got->Equals(state == State::kCold ? kAwsOldValue : kAwsNewValue)) {
      seen.outcome = Outcome::kFresh;
    } else if (state == State::kRefreshAhead) {
      seen.outcome = Outcome::kKept;
      EXPECT_GT(metric("secrets_manager_refresh_failures_total"), refresh_failures_before);
    } else {
      seen.outcome = Outcome::kStale;
      EXPECT_GT(metric("secrets_manager_stale_served_total"), stale_before)
          << "stale value served but not counted";
    }
    return seen;
  }

  AwsTestServer server_;
  int serial_ = 0;
  testing::FakeClock writer_clock_;  // the cells' clocks start where it stays: within AWS's 5 min
  std::unique_ptr<internal::AwsProviderImpl> writer_;
};

TEST_F(AwsFaultMatrixTest, EveryFaultInEveryState) {
  testing::LogCapture logs;
  int asserted = 0;
  int not_applicable = 0;
  const std::vector<std::string> never_shown = {kAwsOldValue, kAwsNewValue, kIssuedSecretPrefix,
                                                kIssuedTokenPrefix, testing::kAwsTestSecretKey};
  for (const MatrixRow& row : AwsMatrix()) {
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
      AwsObserved seen = RunCell(row.fault, state);
      EXPECT_EQ(seen.outcome, want.outcome) << seen.message;
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
        EXPECT_EQ(seen.sleeps.size(), 2u);
        for (auto slept : seen.sleeps) {
          EXPECT_GE(slept, want.min_sleep);
        }
      }
      for (const std::string& secret : never_shown) {
        EXPECT_THAT(seen.message, Not(HasSubstr(secret)));
      }
    }
  }
  for (const std::string& secret : never_shown) {
    EXPECT_THAT(logs.Text(), Not(HasSubstr(secret)));
  }
  EXPECT_EQ(asserted + not_applicable, 65);
  std::cout << "AWS fault matrix: " << asserted << " cells asserted, " << not_applicable << " n/a\n"
            << testing::MarkdownTable(AwsMatrix());
}

}  // namespace
}  // namespace locksmith
