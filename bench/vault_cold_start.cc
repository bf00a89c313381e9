// vault_cold_start: locksmith's side of the Vault cold-start benchmark (bench/vault_cold_start.py
// runs it next to hvac). Each repetition is a cold start: a new VaultProvider (a fresh libcurl
// handle pool, an AppRole login) and SecretsManager, then every name read once, fetched in
// parallel by a pool of threads over reused keep-alive connections. Prints one JSON line per
// repetition: {"rep":i,"ms":...,"login_ms":...,"reads_ms":...,"reads_cpu_ms":...,"total_cpu_ms":...,
// "secrets":N,"threads":T}. reads_* cover the Get loop only (the SecretsManager exists, the login is
// done); *_cpu_ms is this process's user+sys CPU time (getrusage(RUSAGE_SELF), all threads).
// Values are checked for presence only and never printed.
//
// Usage: vault_cold_start --addr URL --mount PATH --prefix NAME_PREFIX --count N
//                         [--threads T] [--repetitions R]
// with VAULT_ROLE_ID and VAULT_SECRET_ID (or VAULT_TOKEN) in the environment.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "locksmith/clock.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"
#include "locksmith/vault_provider.h"

namespace locksmith {
namespace {

struct Args {
  std::string addr;
  std::string mount = "secret";
  std::string prefix = "bench-";
  int count = 100;
  int threads = 16;
  int repetitions = 5;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--addr") {
      args.addr = value;
    } else if (flag == "--mount") {
      args.mount = value;
    } else if (flag == "--prefix") {
      args.prefix = value;
    } else if (flag == "--count") {
      args.count = std::atoi(value.c_str());
    } else if (flag == "--threads") {
      args.threads = std::atoi(value.c_str());
    } else if (flag == "--repetitions") {
      args.repetitions = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return !args.addr.empty() && args.count > 0 && args.threads > 0 && args.repetitions > 0;
}

std::optional<SecretValue> FromEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return SecretValue(std::string_view(v));
}

// User + system CPU time of this process (every thread), in milliseconds.
double CpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// One cold start; returns false (after printing why) on any failure.
bool RunOnce(const Args& args, int rep) {
  const double cpu_start = CpuMs();
  const auto start = std::chrono::steady_clock::now();
  VaultOptions options;
  options.addr = args.addr;
  options.mount_path = args.mount;
  if (const char* role = std::getenv("VAULT_ROLE_ID")) {
    options.role_id = role;
  }
  options.secret_id = FromEnv("VAULT_SECRET_ID");
  options.token = FromEnv("VAULT_TOKEN");
  options.background_renewal = false;  // a short-lived process
  auto provider = CreateVaultProvider(std::move(options), SystemClock(), SystemRandom());
  if (!provider.ok()) {
    std::fprintf(stderr, "vault_cold_start: %s\n", provider.error().ToString().c_str());
    return false;
  }
  const double login_ms = MsSince(start);
  SecretsManagerOptions manager_options;
  manager_options.background_refresh = false;
  auto manager = SecretsManager::Create(std::move(provider).value(), {.options = manager_options});
  if (!manager.ok()) {
    std::fprintf(stderr, "vault_cold_start: %s\n", manager.error().ToString().c_str());
    return false;
  }
  std::vector<std::string> names;
  for (int i = 0; i < args.count; ++i) {
    names.push_back(args.prefix + std::to_string(i));
  }
  const double reads_cpu_start = CpuMs();
  const auto reads_start = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<int> loaded{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  const int threads = std::min(args.threads, args.count);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next.fetch_add(1); i < args.count; i = next.fetch_add(1)) {
        auto value = (*manager)->Get(names[static_cast<std::size_t>(i)]);
        (value.ok() && !value->empty() ? loaded : failed).fetch_add(1);
      }
    });
  }
  for (auto& t : pool) {
    t.join();
  }
  const double ms = MsSince(start);
  const double reads_ms = MsSince(reads_start);
  const double cpu_end = CpuMs();
  if (failed.load() != 0) {
    std::fprintf(stderr, "vault_cold_start: %d of %d reads failed\n", failed.load(), args.count);
    return false;
  }
  std::printf(
      "{\"rep\":%d,\"ms\":%.3f,\"login_ms\":%.3f,\"reads_ms\":%.3f,\"reads_cpu_ms\":%.3f,"
      "\"total_cpu_ms\":%.3f,\"secrets\":%d,\"threads\":%d}\n",
      rep, ms, login_ms, reads_ms, cpu_end - reads_cpu_start, cpu_end - cpu_start, loaded.load(),
      threads);
  std::fflush(stdout);
  return true;
}

}  // namespace
}  // namespace locksmith

int main(int argc, char** argv) {
  locksmith::Args args;
  if (!locksmith::Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: vault_cold_start --addr URL [--mount PATH] [--prefix P] [--count N] "
                 "[--threads T] [--repetitions R]\n");
    return 2;
  }
  for (int rep = 0; rep < args.repetitions; ++rep) {
    if (!locksmith::RunOnce(args, rep)) {
      return 1;
    }
  }
  return 0;
}
