// Crash loops of the local store: a writer process (puts, or rotations: pending put + promote) is
// SIGKILLed at a random point (seeded PRNG, the seed printed: after 0-2 committed operations, a
// random delay up to one operation's measured duration), kCrashKills times per workload,
// optionally while reader processes read the same file. The writer reports each committed
// operation with one byte on a pipe before starting the next. After every kill: the store
// opens; its stages are exactly what the acknowledged operations left, or what the one in flight
// left; every acknowledged version is there and decrypts to exactly its value; every version is
// one that was written (values carry a checksum); one current, at most one previous and pending.
// Readers check every value they read the same way, and keep reading through each kill.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "providers/local/local_store_crash_util.h"
#include "providers/local/local_store_test_util.h"

namespace locksmith::testing {
namespace {

constexpr int kCrashKills = 100;
constexpr int kCrashMaxDelayMs = 20;
constexpr int kCrashReaders = 2;
constexpr int kCrashMaxChildEvents = 100000;  // the writer stops by itself if never killed

Result<ProviderPtr> OpenCrashStore(const LocalStoreOptions& base, Clock& clock) {
  LocalStoreOptions options;
  options.store_path = base.store_path;
  options.master_key_base64 = base.master_key_base64->Clone();
  // Real randomness: every child needs fresh version ids and nonces.
  return CreateLocalStoreProvider(std::move(options), clock, SystemRandom());
}

// The writer: reports 'R' once its store is open, then '.' per committed event. Never returns.
[[noreturn]] void RunCrashWriter(const LocalStoreOptions& base, CrashWorkload workload, int round,
                                 int fd) {
  FakeClock clock;
  auto store = OpenCrashStore(base, clock);
  if (!store.ok() || ::write(fd, "R", 1) != 1) {
    std::fprintf(stderr, "writer: %s\n", store.ok() ? "pipe" : store.error().ToString().c_str());
    ::_exit(1);
  }
  std::map<std::string, std::string> pending_ids;
  for (int index = 0; index < kCrashMaxChildEvents; ++index) {
    const CrashEvent event = CrashEventAt(workload, round, index);
    Result<void> done = OkResult();
    if (event.kind == CrashEvent::Kind::kPromotePending) {
      done = (*store)->PromoteToCurrent(event.name, pending_ids[event.name]);
    } else {
      const Stage stage =
          event.kind == CrashEvent::Kind::kPutPending ? Stage::kPending : Stage::kCurrent;
      auto put = (*store)->Put(event.name, SecretValue(event.value), stage);
      if (put.ok()) {
        pending_ids[event.name] = put->version_id;
      } else {
        done = put.error();
      }
    }
    if (!done.ok() || ::write(fd, ".", 1) != 1) {
      std::fprintf(stderr, "writer: %s\n", done.ok() ? "pipe" : done.error().ToString().c_str());
      (void)!::write(fd, "E", 1);
      ::_exit(1);
    }
  }
  ::_exit(0);
}

// A reader: checks every current and previous value it reads (intact, of the right secret) and
// the labels (exactly one current), reporting '.' per value checked, 'E' on any failure (the
// error on stderr: never a value). Never returns.
[[noreturn]] void RunCrashReader(const LocalStoreOptions& base, int fd) {
  FakeClock clock;
  auto store = OpenCrashStore(base, clock);
  auto fail = [fd](const std::string& why) {
    std::fprintf(stderr, "reader: %s\n", why.c_str());
    (void)!::write(fd, "E", 1);
    ::_exit(1);
  };
  if (!store.ok()) {
    fail(store.error().ToString());
  }
  for (int i = 0;; ++i) {
    const std::string name = CrashSecretName(i);
    for (Stage stage : {Stage::kCurrent, Stage::kPrevious}) {
      auto got = (*store)->Get(name, VersionSelector::AtStage(stage));
      if (!got.ok() && (stage == Stage::kCurrent || got.error().code != ErrorCode::kNotFound)) {
        fail(got.error().ToString());
      }
      if (got.ok()) {
        if (!CrashValueIsIntact(got->value.RevealUnsafe(), name)) {
          fail("a value that was never written, of " + name);
        }
        if (::write(fd, ".", 1) != 1) {
          ::_exit(1);
        }
      }
    }
    auto description = (*store)->Describe(name);
    if (!description.ok()) {
      fail(description.error().ToString());
    }
    int current = 0;
    for (const VersionInfo& version : description->versions) {
      current += version.HasStage(Stage::kCurrent) ? 1 : 0;
    }
    if (current != 1) {
      fail(name + " has " + std::to_string(current) + " current versions");
    }
  }
}

// Counts '.' in `bytes`; false if an 'E' is among them.
bool CountCrashReports(const std::string& bytes, long* dots) {
  for (char c : bytes) {
    if (c == 'E') {
      return false;
    }
    *dots += c == '.' ? 1 : 0;
  }
  return true;
}

class LocalStoreCrashTest : public LocalStoreTestBase {
 protected:
  // The stages of every secret, as the store reports them.
  CrashModel ReadStages(Provider& store) {
    CrashModel model;
    for (int s = 0; s < kCrashSecrets; ++s) {
      const std::string name = CrashSecretName(s);
      CrashStages& stages = model[name];
      for (Stage stage : {Stage::kCurrent, Stage::kPrevious, Stage::kPending}) {
        auto got = store.Get(name, VersionSelector::AtStage(stage));
        if (!got.ok()) {
          EXPECT_THAT(got, HasError(ErrorCode::kNotFound)) << name;
          continue;
        }
        std::optional<std::string>& slot = stage == Stage::kCurrent    ? stages.current
                                           : stage == Stage::kPrevious ? stages.previous
                                                                       : stages.pending;
        slot = std::string(got->value.RevealUnsafe());
      }
    }
    return model;
  }

  // Reads the versions not seen before (every one decrypts to a value that was written: acked
  // or in flight) and checks that every acknowledged value is among the versions, and the labels.
  void CheckVersions(Provider& store, const std::set<std::string>& acked,
                     const std::optional<std::string>& in_flight) {
    for (int s = 0; s < kCrashSecrets; ++s) {
      const std::string name = CrashSecretName(s);
      SCOPED_TRACE(name);
      auto description = store.Describe(name);
      ASSERT_THAT(description, IsOk());
      std::map<Stage, int> labels;
      for (const VersionInfo& version : description->versions) {
        for (Stage stage : version.stages) {
          ++labels[stage];
        }
        if (!seen_versions_.insert(version.version_id).second) {
          continue;
        }
        auto got = store.Get(name, VersionSelector::ById(version.version_id));
        ASSERT_THAT(got, IsOk());
        const std::string value(got->value.RevealUnsafe());
        ++versions_checked_;
        EXPECT_TRUE(CrashValueIsIntact(value, name));
        EXPECT_TRUE(acked.count(value) == 1 || value == in_flight) << "a version never written";
        seen_values_.insert(value);
      }
      ASSERT_FALSE(description->versions.empty());
      EXPECT_TRUE(description->versions[0].HasStage(Stage::kCurrent) ||
                  description->versions[0].HasStage(Stage::kPending));
      EXPECT_EQ(labels[Stage::kCurrent], 1);
      EXPECT_LE(labels[Stage::kPrevious], 1);
      EXPECT_LE(labels[Stage::kPending], 1);
    }
    for (const std::string& value : acked) {
      EXPECT_EQ(seen_values_.count(value), 1u) << "an acknowledged version is missing";
    }
  }

  // Reads what `reader` reported so far, then waits for `more` new values from it; false if it
  // failed, died or hung.
  static bool DrainCrashReader(CrashChild& reader, int more, long* reads) {
    pollfd ready{reader.fd, POLLIN, 0};
    while (::poll(&ready, 1, 0) == 1) {
      char buffer[4096];
      const ssize_t n = ::read(reader.fd, buffer, sizeof(buffer));
      if (n <= 0 || !CountCrashReports(std::string(buffer, static_cast<std::size_t>(n)), reads)) {
        return false;
      }
    }
    for (int i = 0; i < more; ++i) {
      if (ReadCrashByte(reader.fd) != '.') {
        return false;
      }
      ++*reads;
    }
    return true;
  }

  void RunLoop(CrashWorkload workload, int readers, const char* label) {
    const LocalStoreOptions options = KeyOptions();
    constexpr std::uint64_t kSeed = 20261202;
    std::printf("local store crash loop (%s): seed %llu\n", label,
                static_cast<unsigned long long>(kSeed));
    std::mt19937_64 rng(kSeed + static_cast<std::uint64_t>(workload) + 10 * readers);
    CrashModel model;
    std::set<std::string> acked_values;
    {
      // Every secret exists before the first writer starts, so readers always find a current.
      auto store = Open();
      ASSERT_NE(store, nullptr);
      for (int s = 0; s < kCrashSecrets; ++s) {
        CrashEvent seed{CrashEvent::Kind::kPutCurrent, CrashSecretName(s),
                        CrashCheckedValue("seed-" + CrashSecretName(s))};
        ASSERT_THAT(store->Put(seed.name, SecretValue(seed.value), Stage::kCurrent), IsOk());
        CrashApply(model, seed);
        acked_values.insert(seed.value);
      }
    }
    // The readers run through every kill of the loop.
    std::vector<CrashChild> reader_children;
    for (int r = 0; r < readers; ++r) {
      reader_children.push_back(ForkCrashChild([&](int fd) { RunCrashReader(options, fd); }));
      ASSERT_GT(reader_children.back().pid, 0);
    }
    long acked_total = 0;
    long reads_checked = 0;
    int in_flight_committed = 0;
    // How long one operation takes on this machine (mean time between two reports), so the kill
    // delays cover a whole operation, commit included, however fast or loaded the build is.
    double op_ms = kCrashMaxDelayMs;
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < kCrashKills; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      CrashChild writer =
          ForkCrashChild([&](int fd) { RunCrashWriter(options, workload, round, fd); });
      ASSERT_GT(writer.pid, 0);
      const char ready = ReadCrashByte(writer.fd);
      long acked = 0;
      if (ready == 'R') {
        // Let 0-2 operations commit, then kill at a random point of the next one.
        const int wait_for = std::uniform_int_distribution<int>(0, 2)(rng);
        const auto wait_start = std::chrono::steady_clock::now();
        while (acked < wait_for && ReadCrashByte(writer.fd) == '.') {
          ++acked;
        }
        if (acked > 0) {
          const double measured = std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - wait_start)
                                      .count() /
                                  static_cast<double>(acked);
          op_ms = 0.7 * op_ms + 0.3 * measured;
        }
        const int max_delay = std::clamp(static_cast<int>(op_ms), 1, 10 * kCrashMaxDelayMs);
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, max_delay)(rng)));
      }
      int status = 0;
      const std::string reports = KillCrashChild(writer, &status);
      ASSERT_EQ(ready, 'R') << "the writer did not start";
      ASSERT_TRUE(CountCrashReports(reports, &acked)) << "the writer failed before the kill";
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
      // Each reader reads on after the kill (through whatever the killed writer left).
      for (CrashChild& reader : reader_children) {
        ASSERT_TRUE(DrainCrashReader(reader, 4, &reads_checked))
            << "a reader failed or hung after the kill";
      }

      const std::vector<CrashEvent> events =
          CrashEvents(workload, round, static_cast<int>(acked) + 1);
      for (int i = 0; i < acked; ++i) {
        CrashApply(model, events[i]);
        if (events[i].kind != CrashEvent::Kind::kPromotePending) {
          acked_values.insert(events[i].value);
        }
      }
      CrashModel with_in_flight = model;
      CrashApply(with_in_flight, events[acked]);
      acked_total += acked;

      auto store = Open();
      ASSERT_NE(store, nullptr) << "the store did not open after the kill";
      const CrashModel actual = ReadStages(*store);
      const bool as_acked = actual == model;
      ASSERT_TRUE(as_acked || actual == with_in_flight)
          << "the stages are neither what the acknowledged operations left nor what the one in "
             "flight would";
      if (!as_acked) {
        model = with_in_flight;
        ++in_flight_committed;
        if (events[acked].kind != CrashEvent::Kind::kPromotePending) {
          acked_values.insert(events[acked].value);
        }
      }
      const std::optional<std::string> in_flight =
          events[acked].kind == CrashEvent::Kind::kPromotePending
              ? std::nullopt
              : std::optional<std::string>(events[acked].value);
      CheckVersions(*store, acked_values, in_flight);
      if (HasFatalFailure()) {
        return;
      }
    }
    for (CrashChild& reader : reader_children) {
      int status = 0;
      EXPECT_TRUE(CountCrashReports(KillCrashChild(reader, &status), &reads_checked))
          << "a reader failed";
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    EXPECT_GT(acked_total, 0);
    std::printf(
        "local store crash loop (%s): %d SIGKILLs, %ld acknowledged operations (%d more committed "
        "just before a kill), %zu versions decrypted and checked, %ld values checked by %d "
        "readers, one operation ~%.1f ms, %lld ms\n",
        label, kCrashKills, acked_total, in_flight_committed, versions_checked_, reads_checked,
        readers, op_ms, static_cast<long long>(ms));
  }

  std::set<std::string> seen_versions_;  // version ids already read and checked
  std::set<std::string> seen_values_;
  std::size_t versions_checked_ = 0;
};

TEST_F(LocalStoreCrashTest, KilledWriterLeavesWhatTheAcknowledgedPutsLeftOrOneMore) {
  RunLoop(CrashWorkload::kWrites, 0, "writes");
}

TEST_F(LocalStoreCrashTest, KilledRotationLeavesOneCurrentAndEveryAcknowledgedVersion) {
  RunLoop(CrashWorkload::kRotations, 0, "rotations");
}

TEST_F(LocalStoreCrashTest, ReadersNeverSeeAHalfWrittenValueWhileTheWriterIsKilled) {
  RunLoop(CrashWorkload::kWrites, kCrashReaders, "writes with readers");
}

}  // namespace
}  // namespace locksmith::testing
