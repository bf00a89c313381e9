// aws_preload: locksmith's side of the AWS start-up preload benchmark (bench/aws_preload.py runs
// it next to boto3). Each repetition is a cold start: a new AWS provider (fresh libcurl handles,
// credentials from the environment) and SecretsManager, then SecretsManager::Preload of every
// name, which reads them through BatchGetSecretValue, 20 per call. With --stats, the test
// server's per-operation counters are reset before and read after each repetition. Prints one
// JSON line per repetition:
//   {"rep":i,"ms":...,"preload_ms":...,"preload_cpu_ms":...,"total_cpu_ms":...,"secrets":N,
//    "failed":F,"ops":{"BatchGetSecretValue":5,...}}
// preload_* cover the Preload call only (provider and SecretsManager already created); *_cpu_ms is
// this process's user+sys CPU time (getrusage(RUSAGE_SELF), all threads). Values are checked for
// presence only and never printed.
//
// Usage: aws_preload --endpoint URL [--prefix P] [--names NAME_PREFIX] [--count N]
//                    [--repetitions R] [--stats]
// with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_REGION) in the environment.
#include <curl/curl.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "locksmith/aws_provider.h"
#include "locksmith/clock.h"
#include "locksmith/dotenv_provider.h"
#include "locksmith/random.h"
#include "locksmith/secrets_manager.h"

namespace locksmith {
namespace {

struct Args {
  std::string endpoint;
  std::string prefix = "agentauri-backend/production";
  std::string names = "bench-";
  int count = 100;
  int repetitions = 5;
  bool stats = false;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--stats") {
      args.stats = true;
      continue;
    }
    if (i + 1 >= argc) {
      return false;
    }
    std::string value = argv[++i];
    if (flag == "--endpoint") {
      args.endpoint = value;
    } else if (flag == "--prefix") {
      args.prefix = value;
    } else if (flag == "--names") {
      args.names = value;
    } else if (flag == "--count") {
      args.count = std::atoi(value.c_str());
    } else if (flag == "--repetitions") {
      args.repetitions = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return !args.endpoint.empty() && args.count > 0 && args.repetitions > 0;
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The test server's control endpoints (no signature): POST reset, GET stats.
std::string Control(const std::string& endpoint, const char* path, bool post) {
  std::string body;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return body;
  }
  const std::string url = endpoint + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (post) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return body;
}

// The "ops" object of the stats answer, as text.
std::string OpsOf(const std::string& stats) {
  const auto start = stats.find("\"ops\"");
  if (start == std::string::npos) {
    return "{}";
  }
  const auto open = stats.find('{', start);
  const auto close = stats.find('}', open);
  return open == std::string::npos || close == std::string::npos
             ? "{}"
             : stats.substr(open, close - open + 1);
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

bool RunOnce(const Args& args, int rep) {
  std::vector<std::string> refs;
  for (int i = 0; i < args.count; ++i) {
    refs.push_back(args.names + std::to_string(i));
  }
  if (args.stats) {
    Control(args.endpoint, "/_test/reset-stats", true);
  }
  const double cpu_start = CpuMs();
  const auto start = std::chrono::steady_clock::now();
  EnvLookup env = ProcessEnv();
  auto options = AwsOptionsFromEnv(env);
  if (!options.ok()) {
    std::fprintf(stderr, "aws_preload: %s\n", options.error().ToString().c_str());
    return false;
  }
  options->endpoint_url = args.endpoint;
  options->prefix = args.prefix;
  if (options->region.empty()) {
    options->region = "eu-west-1";
  }
  auto provider = CreateAwsProvider(std::move(options).value(), env, SystemClock(), SystemRandom());
  if (!provider.ok()) {
    std::fprintf(stderr, "aws_preload: %s\n", provider.error().ToString().c_str());
    return false;
  }
  SecretsManagerOptions manager_options;
  manager_options.background_refresh = false;
  auto manager = SecretsManager::Create(std::move(provider).value(), {.options = manager_options});
  if (!manager.ok()) {
    std::fprintf(stderr, "aws_preload: %s\n", manager.error().ToString().c_str());
    return false;
  }
  const double preload_cpu_start = CpuMs();
  const auto preload_start = std::chrono::steady_clock::now();
  auto preload = (*manager)->Preload(refs);
  const double ms = MsSince(start);
  const double preload_ms = MsSince(preload_start);
  const double cpu_end = CpuMs();
  if (!preload.ok()) {
    std::fprintf(stderr, "aws_preload: %s\n", preload.error().ToString().c_str());
    return false;
  }
  for (const auto& [ref, error] : preload->failed) {
    std::fprintf(stderr, "aws_preload: %s: %s\n", ref.c_str(), error.ToString().c_str());
  }
  // Served from the cache now: check presence without printing anything of the value.
  int present = 0;
  for (const auto& ref : preload->loaded) {
    auto value = (*manager)->Get(ref);
    present += value.ok() && !value->empty() ? 1 : 0;
  }
  const std::string ops =
      args.stats ? OpsOf(Control(args.endpoint, "/_test/stats", false)) : std::string("{}");
  std::printf(
      "{\"rep\":%d,\"ms\":%.3f,\"preload_ms\":%.3f,\"preload_cpu_ms\":%.3f,\"total_cpu_ms\":%.3f,"
      "\"secrets\":%d,\"failed\":%zu,\"ops\":%s}\n",
      rep, ms, preload_ms, cpu_end - preload_cpu_start, cpu_end - cpu_start, present,
      preload->failed.size(), ops.c_str());
  std::fflush(stdout);
  return preload->failed.empty() && present == args.count;
}

}  // namespace
}  // namespace locksmith

int main(int argc, char** argv) {
  locksmith::Args args;
  if (!locksmith::Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: aws_preload --endpoint URL [--prefix P] [--names NAME_PREFIX] "
                 "[--count N] [--repetitions R] [--stats]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int rep = 0; rep < args.repetitions; ++rep) {
    if (!locksmith::RunOnce(args, rep)) {
      return 1;
    }
  }
  return 0;
}
