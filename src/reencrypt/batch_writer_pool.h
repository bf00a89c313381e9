// BatchWriterPool: the job's compare-and-set writes on connections of their own, one thread each,
// so the database applies batches while the job reads and decrypts the next ones (and, with two
// or more writers, applies several at once). Batches are numbered by the caller; completions come
// back in any order, each with the rows it wrote or its error.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <thread>
#include <vector>

#include "locksmith/result.h"
#include "locksmith/secret_value.h"

namespace locksmith::internal {

// One batch's writes: ids in the read's order (so front/back bound the id range), the values read
// and their replacements.
struct BatchWrites {
  std::vector<std::string> ids;
  std::vector<std::string> old_values;
  std::vector<std::string> new_values;
};

// One compare-and-set UPDATE of `writes` (ids non-empty) in its own transaction: the rows
// written. Throws pqxx errors (callers run it under GuardPg).
std::uint64_t WriteBatch(pqxx::connection& connection, const std::string& compare_and_set,
                         const BatchWrites& writes);

struct WriteCompletion {
  std::uint64_t seq = 0;
  std::uint64_t written = 0;  // rows the compare-and-set changed
  std::optional<Error> error;
};

class BatchWriterPool {
 public:
  // `compare_and_set`: ReencryptSql::compare_and_set. `after_commit_for_test` runs right after a
  // commit (never on two writers at once). Threads start at once; connections on first use.
  BatchWriterPool(const SecretValue& dsn, std::string compare_and_set, std::size_t writers,
                  std::function<void()> after_commit_for_test);
  // Waits for the batches in flight, then stops the threads.
  ~BatchWriterPool();
  BatchWriterPool(const BatchWriterPool&) = delete;
  BatchWriterPool& operator=(const BatchWriterPool&) = delete;

  // Queues a batch (ids non-empty); blocks while `writers` batches are in flight.
  void Submit(std::uint64_t seq, BatchWrites writes);
  // Completions so far; with `wait_for_all`, first waits until nothing is in flight.
  std::vector<WriteCompletion> Take(bool wait_for_all);

 private:
  struct Job {
    std::uint64_t seq;
    BatchWrites writes;
  };
  void WriterLoop();

  const SecretValue& dsn_;
  const std::string compare_and_set_;
  const std::size_t writers_;
  std::function<void()> after_commit_for_test_;
  std::mutex hook_mutex_;

  std::mutex mutex_;
  std::condition_variable work_ready_;  // writers wait for jobs / stop
  std::condition_variable changed_;     // the caller waits for room / completions
  std::deque<Job> queue_;
  std::vector<WriteCompletion> done_;
  std::size_t in_flight_ = 0;  // submitted, not yet in done_
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace locksmith::internal
