// The agent's resource bounds over real loopback sockets (issue 9): bodies never read, header
// caps, the whole-request deadline, the keep-alive idle timeout, the connection cap, and I/O
// threads that keep answering while clients are slow and workers wait on the back end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_server.h"
#include "agent/agent_test_fixture.h"
#include "support/http_client.h"

namespace locksmith {
namespace {

using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpHeaders;
using testing::ReadUntilClosed;
using testing::SendAll;
using ::testing::StartsWith;
using namespace std::chrono_literals;

// VmRSS of this process (the agent runs in it), in KiB.
long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// A socket that will be closed at the end of the scope.
struct ScopedSocket {
  explicit ScopedSocket(int port) : fd(testing::ConnectLoopback(port)) {}
  ~ScopedSocket() {
    if (fd >= 0) {
      close(fd);
    }
  }
  int fd;
};

class AgentLimitsTest : public testing::AgentTest {
 protected:
  void Customize(AgentOptions& options) override {
    options.threads = 2;
    options.request_deadline = 30s;
    options.idle_timeout = 30s;
  }
};

// Regression (issue 9): 300 MiB of chunked POST were read into memory before the token check.
// Now the head is answered and the connection closed: the client cannot send much, and the
// agent's memory stays flat.
TEST_F(AgentLimitsTest, ChunkedFloodIsRefusedWithMemoryBounded) {
  const long before = ResidentKib();
  ASSERT_GT(before, 0);
  ScopedSocket s(server_->Port());
  ASSERT_GE(s.fd, 0);
  ASSERT_TRUE(SendAll(s.fd,
                      "POST /secretsmanager/get?secretId=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  constexpr std::size_t kFlood = 64u << 20;
  std::size_t sent = 0;
  while (sent < kFlood && SendAll(s.fd, chunk, 10s)) {
    sent += chunk.size();
  }
  EXPECT_LT(sent, kFlood / 2) << "the agent kept reading the body";
  const long grown_kib = ResidentKib() - before;
  EXPECT_LT(grown_kib, 16 * 1024) << "RSS grew by " << grown_kib << " KiB";
  // The agent still answers.
  HttpClient client("127.0.0.1", server_->Port());
  auto ping = client.Get("/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
}

TEST_F(AgentLimitsTest, HeaderCapsAnswer431) {
  HttpHeaders many;
  for (int i = 0; i < 70; ++i) {
    many.emplace_back("X-Filler-" + std::to_string(i), "1");
  }
  HttpClient client("127.0.0.1", server_->Port());
  auto too_many = client.Get("/ping", many);
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 431);
  EXPECT_TRUE(too_many->server_closed);
  auto too_big = client.Get("/ping", {{"X-Filler", std::string(9 * 1024, 'a')}});
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 431);
  // Just under both caps is fine.
  many.resize(50);
  auto fine = client.Get("/ping", many);
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

// Regression (issue 9): four clients dripping header bytes stopped /ping (4 threads, each held by
// a slow client). Now sixteen of them (more than the worker threads) hold only their sockets.
TEST_F(AgentLimitsTest, SlowClientsDoNotStopOthers) {
  std::vector<std::unique_ptr<ScopedSocket>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<ScopedSocket>(server_->Port()));
    ASSERT_GE(slow.back()->fd, 0);
    ASSERT_TRUE(SendAll(slow.back()->fd, "GET /secretsmanager/get?secretId=database-password"));
  }
  ASSERT_EQ(Get("/secretsmanager/get?secretId=database-password")->status, 200);  // cached now
  for (int i = 0; i < 3; ++i) {
    HttpClient client("127.0.0.1", server_->Port());
    client.set_timeout(5s);
    auto ping = client.Get("/ping");
    ASSERT_TRUE(ping) << "/ping did not answer while slow clients held connections";
    EXPECT_EQ(ping->body, "healthy");
    for (auto& s : slow) {
      ASSERT_TRUE(SendAll(s->fd, "x"));  // one more byte each: still incomplete
    }
  }
}

class AgentDeadlineTest : public testing::AgentTest {
 protected:
  void Customize(AgentOptions& options) override {
    options.request_deadline = 300ms;
    options.idle_timeout = 300ms;
  }
};

// Regression (issue 9): the timeout was per read, so a client sending a byte now and then held a
// connection (and a thread) for ever. The deadline covers the whole request.
TEST_F(AgentDeadlineTest, SlowDripIsCutOffAtTheRequestDeadline) {
  ScopedSocket s(server_->Port());
  ASSERT_GE(s.fd, 0);
  ASSERT_TRUE(SendAll(s.fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  // One header byte every 20 ms (each well inside any per-read timeout), for at most 10 s; the
  // wait between bytes is a wait for the server to close the socket.
  while (std::chrono::steady_clock::now() - start < 10s) {
    if (!SendAll(s.fd, "X", 1s)) {
      closed = true;
      break;
    }
    pollfd p{s.fd, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char byte;
      closed = recv(s.fd, &byte, 1, 0) <= 0;
      if (closed) {
        break;
      }
    }
  }
  EXPECT_TRUE(closed) << "the agent kept a dripping request open for 10 s";
}

TEST_F(AgentDeadlineTest, IdleConnectionsAreClosed) {
  // Never a byte: closed after the idle timeout.
  ScopedSocket silent(server_->Port());
  ASSERT_GE(silent.fd, 0);
  EXPECT_TRUE(ReadUntilClosed(silent.fd, 10s).closed);
  // After an answer, an idle keep-alive connection is closed the same way.
  ScopedSocket kept(server_->Port());
  ASSERT_GE(kept.fd, 0);
  ASSERT_TRUE(SendAll(kept.fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  testing::ReadResult read = ReadUntilClosed(kept.fd, 10s);
  EXPECT_TRUE(read.closed);
  EXPECT_THAT(read.data, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(read.data, HasSubstr("healthy"));
}

class AgentConnectionCapTest : public testing::AgentTest {
 protected:
  void Customize(AgentOptions& options) override {
    options.max_connections = 2;
    options.idle_timeout = 30s;
  }
};

TEST_F(AgentConnectionCapTest, ExcessConnectionsAreRefusedNotQueued) {
  auto first = std::make_unique<HttpClient>("127.0.0.1", server_->Port());
  HttpClient second("127.0.0.1", server_->Port());
  ASSERT_EQ(first->Get("/ping")->status, 200);  // both connections open and kept alive
  ASSERT_EQ(second.Get("/ping")->status, 200);
  ScopedSocket third(server_->Port());
  ASSERT_GE(third.fd, 0);
  testing::ReadResult refused = ReadUntilClosed(third.fd, 10s);
  EXPECT_TRUE(refused.closed);
  EXPECT_THAT(refused.data, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(refused.data, HasSubstr("Connection: close"));
  // Once a connection closes, a new one is served (the agent notices the close asynchronously:
  // retry, each attempt answered at once, for at most 10 s).
  first.reset();
  bool served = false;
  const auto start = std::chrono::steady_clock::now();
  while (!served && std::chrono::steady_clock::now() - start < 10s) {
    HttpClient next("127.0.0.1", server_->Port());
    auto res = next.Get("/ping");
    served = res && res->status == 200;
  }
  EXPECT_TRUE(served);
}

// A back end that blocks every read of a name starting with "slow-" until released.
class GatedProvider : public Provider {
 public:
  explicit GatedProvider(ProviderPtr inner) : inner_(std::move(inner)) {}
  std::string_view Kind() const override { return inner_->Kind(); }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    if (name.starts_with("slow-")) {
      std::unique_lock lock(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait_for(lock, 20s, [&] { return released_; });
      return MakeError(ErrorCode::kUnavailable, "slow back end");
    }
    return inner_->Get(name, selector);
  }
  Result<SecretDescription> Describe(std::string_view name) override {
    return inner_->Describe(name);
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    return inner_->List(prefix);
  }
  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override {
    return inner_->Put(name, value, stage);
  }
  Result<void> PromoteToCurrent(std::string_view name, std::string_view version_id) override {
    return inner_->PromoteToCurrent(name, version_id);
  }
  bool WaitBlocked(int count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return blocked_ >= count; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  ProviderPtr inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int blocked_ = 0;
  bool released_ = false;
};

// Regression (issue 9): lookups that wait on the back end run on the worker pool; /ping,
// /metrics and cache hits are answered by the I/O thread meanwhile.
TEST(AgentBusyWorkersTest, PingAndCacheHitsAnswerWhileEveryWorkerWaits) {
  testing::FakeClock clock;
  testing::FakeRandom random;
  auto inner = std::make_unique<testing::InMemoryProvider>(clock);
  ASSERT_THAT(inner->Put("fast", SecretValue("fast-value"), Stage::kCurrent), testing::IsOk());
  auto gated_owned = std::make_unique<GatedProvider>(std::move(inner));
  GatedProvider* gated = gated_owned.get();
  SecretsManagerOptions manager_options;
  manager_options.background_refresh = false;
  manager_options.retry.max_attempts = 1;
  auto manager = SecretsManager::Create(
      std::move(gated_owned), {.options = manager_options, .clock = &clock, .random = &random});
  ASSERT_THAT(manager, testing::IsOk());
  AgentOptions options;
  options.port = 0;
  options.token = SecretValue(testing::kAgentTestToken);
  options.threads = 2;
  auto server = AgentServer::Create(std::move(options), **manager, &(*manager)->metrics());
  ASSERT_THAT(server, testing::IsOk());
  ASSERT_THAT((*server)->Start(), testing::IsOk());
  const int port = (*server)->Port();
  const testing::HttpHeaders token = {
      {std::string(kAgentTokenHeader), std::string(testing::kAgentTestToken)}};
  {
    HttpClient warm("127.0.0.1", port);
    ASSERT_EQ(warm.Get("/secretsmanager/get?secretId=fast", token)->status, 200);
  }
  std::vector<std::thread> waiting;
  std::atomic<int> answered{0};
  for (int i = 0; i < 4; ++i) {  // two on the workers, two queued behind them
    waiting.emplace_back([&, i] {
      HttpClient client("127.0.0.1", port);
      client.set_timeout(30s);
      auto res = client.Get("/secretsmanager/get?secretId=slow-" + std::to_string(i), token);
      if (res && res->status == 503) {
        ++answered;
      }
    });
  }
  const bool blocked = gated->WaitBlocked(2);
  EXPECT_TRUE(blocked);
  if (blocked) {
    HttpClient client("127.0.0.1", port);
    client.set_timeout(5s);
    auto ping = client.Get("/ping");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->body, "healthy");
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    auto cached = client.Get("/secretsmanager/get?secretId=fast", token);
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->status, 200);
  }
  gated->Release();
  for (auto& t : waiting) {
    t.join();
  }
  EXPECT_EQ(answered.load(), 4);
  (*server)->Stop();
}

}  // namespace
}  // namespace locksmith
