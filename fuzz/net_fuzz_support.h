#pragma once

// What the network fuzzers share: a splitter of the fuzz input into a script of HTTP answers, an
// HttpClient that plays that script to the real provider code, a fixed clock and a counting
// random source (the test-only fakes of testing/ are not built with the fuzzers), and the leak
// check every error goes through.
//
// A script is answers separated by kAnswerSeparator. One answer reads like an HTTP response
// without its protocol: a first line with the status ("200"; "ERR" a refused connection,
// "TIMEOUT" a deadline, "BIG" a body over the client's cap), header lines ("Location: ...") up to
// a blank line, then the body. A request past the end of the script is a refused connection.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "locksmith/clock.h"
#include "locksmith/log.h"
#include "locksmith/random.h"
#include "locksmith/result.h"
#include "transport/http_client.h"

namespace locksmith::fuzz {

inline constexpr std::string_view kAnswerSeparator = "\n%%\n";

// The input as bytes taken from the front, then the rest split at a separator.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  std::uint8_t TakeByte() {
    if (rest_.empty()) {
      return 0;
    }
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }
  // The text up to the next `separator` (or the end), which is consumed too.
  std::string_view TakeUntil(std::string_view separator) {
    const std::size_t at = rest_.find(separator);
    const std::string_view part = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + separator.size());
    return part;
  }
  std::vector<std::string_view> SplitRest(std::string_view separator) {
    std::vector<std::string_view> parts;
    while (!rest_.empty()) {
      parts.push_back(TakeUntil(separator));
    }
    return parts;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Plays a script of answers, one per request, whatever the request.
class ScriptedHttpClient : public internal::HttpClient {
 public:
  explicit ScriptedHttpClient(std::vector<std::string_view> answers)
      : answers_(std::move(answers)) {}

  Result<internal::HttpResponse> Send(const internal::HttpRequest& request) override {
    FUZZ_CHECK(!request.url.empty() && !request.method.empty(), "a request has a URL and method");
    urls_.push_back(request.url);
    if (next_ >= answers_.size()) {
      return MakeError(ErrorCode::kUnavailable, "connection refused (end of the fuzz script)");
    }
    std::string_view answer = answers_[next_++];
    FuzzInput lines(reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size());
    const std::string_view status = lines.TakeUntil("\n");
    if (status == "ERR") {
      return MakeError(ErrorCode::kUnavailable, "connection reset by peer");
    }
    if (status == "TIMEOUT") {
      return MakeError(ErrorCode::kDeadlineExceeded, "operation timed out");
    }
    if (status == "BIG") {
      return MakeError(ErrorCode::kDataLoss, "response body larger than the cap");
    }
    internal::HttpResponse response;
    for (const char c : status.substr(0, 3)) {
      if (c < '0' || c > '9') {
        break;
      }
      response.status = response.status * 10 + (c - '0');
    }
    for (std::string_view line = lines.TakeUntil("\n"); !line.empty();
         line = lines.TakeUntil("\n")) {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      response.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
    }
    response.body = std::string(lines.rest());
    return response;
  }

  std::size_t requests() const { return urls_.size(); }

 private:
  std::vector<std::string_view> answers_;
  std::size_t next_ = 0;
  std::vector<std::string> urls_;
};

// Wall time fixed at 2026-12-01T00:00:00Z; SleepFor advances both clocks (retries never wait).
class FixedClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override { return steady_; }
  std::chrono::system_clock::time_point WallNow() const override { return wall_; }
  void SleepFor(std::chrono::nanoseconds duration) override {
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
  }

 private:
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1000)};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1796083200)};
};

// Deterministic bytes (a counter), so a crash input replays the same way.
class CountingRandom : public Random {
 public:
  Result<void> Fill(std::span<std::uint8_t> out) override {
    for (std::uint8_t& byte : out) {
      byte = static_cast<std::uint8_t>(counter_++ * 131 + 7);
    }
    return {};
  }
  std::uint64_t Uniform(std::uint64_t bound) override { return counter_++ % bound; }

 private:
  std::uint64_t counter_ = 0;
};

// The fuzzers' one Initialize step: the library's warnings would flood the fuzzer's output.
inline void SilenceLibraryLogs() { Logger()->set_level(spdlog::level::off); }

// The input being run, set by each entry point: a planted value the input itself holds (the
// fuzzer can learn one from the comparisons of the checks below) may be quoted legitimately.
inline std::string_view& CurrentInput() {
  static std::string_view input;
  return input;
}

// Every error the library returns: a message naming none of `credentials` (what the client
// authenticates with: its own code must scrub them even when the back end echoes them) and none
// of `values` (values it wrote; the input never holds them unless the fuzzer guessed one, and
// then the back end's words may quote it).
inline void CheckError(const Error& error, std::initializer_list<std::string_view> credentials,
                       std::initializer_list<std::string_view> values = {}) {
  FUZZ_CHECK(!error.message.empty(), "an error has a message");
  for (const std::string_view secret : credentials) {
    FUZZ_CHECK(error.message.find(secret) == std::string::npos,
               "an error message never holds a credential of the client");
  }
  for (const std::string_view value : values) {
    FUZZ_CHECK(error.message.find(value) == std::string::npos ||
                   CurrentInput().find(value) != std::string_view::npos,
               "an error message never holds a value being written");
  }
}

// LOCKSMITH_FUZZ_DEBUG=1: each checked result on stderr (for writing seeds that go deep: which
// call of a script failed, and why). Messages are checked for leaks before they are printed.
inline bool FuzzDebug() {
  static const bool debug = std::getenv("LOCKSMITH_FUZZ_DEBUG") != nullptr;
  return debug;
}

template <typename T>
void CheckResult(const Result<T>& result, std::initializer_list<std::string_view> credentials,
                 std::initializer_list<std::string_view> values = {}) {
  if (!result.ok()) {
    CheckError(result.error(), credentials, values);
  }
  if (FuzzDebug()) {
    std::fprintf(stderr, "fuzz debug: %s\n",
                 result.ok() ? "ok"
                             : (std::string(ErrorCodeName(result.error().code)) + ": " +
                                result.error().message)
                                   .c_str());
  }
}

}  // namespace locksmith::fuzz
