// Test helper for the crash-loop test (reencrypt_crash_loop_test.cc): runs one ReencryptionJob
// on a table of the fixed test keys' ciphertexts, to be killed with SIGKILL at random points.
//   reencrypt_runner DSN TABLE BATCH_SIZE
// Exit codes: 0 every row moved, 1 rows left alone, 5 unavailable, 3 any other error, 2 usage.
// Prints only error codes and the job's own messages (which never hold the DSN or a value).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "locksmith/random.h"
#include "locksmith/reencryption_job.h"
#include "reencrypt/reencrypt_test_util.h"

int main(int argc, char** argv) {
  using locksmith::ErrorCode;
  if (argc != 4) {
    std::fprintf(stderr, "usage: reencrypt_runner DSN TABLE BATCH_SIZE\n");
    return 2;
  }
  auto ring = locksmith::reencrypt_test::FixedTestRing({"v2", "v1"}, locksmith::SystemRandom());
  if (!ring.ok()) {
    std::fprintf(stderr, "%s\n", ring.error().ToString().c_str());
    return 3;
  }
  locksmith::ReencryptionOptions options;
  options.table = argv[2];
  options.column = "enc";
  options.batch_size = static_cast<std::size_t>(std::strtoul(argv[3], nullptr, 10));
  auto job = locksmith::ReencryptionJob::Create(locksmith::SecretValue(std::string(argv[1])),
                                                **ring, std::move(options));
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.error().ToString().c_str());
    return 2;
  }
  auto report = (*job)->Run();
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.error().ToString().c_str());
    return report.error().code == ErrorCode::kUnavailable ? 5 : 3;
  }
  return report->Complete() ? 0 : 1;
}
