#include "reencrypt/batch_writer_pool.h"

#include <memory>
#include <pqxx/result>
#include <pqxx/transaction>
#include <utility>

#include "reencrypt/pg_error.h"
#include "reencrypt/reencrypt_sql.h"

namespace locksmith::internal {

std::uint64_t WriteBatch(pqxx::connection& connection, const std::string& compare_and_set,
                         const BatchWrites& writes) {
  pqxx::work txn(connection);
  const pqxx::result result =
      txn.exec_params(compare_and_set, ArrayLiteral(writes.ids), ArrayLiteral(writes.old_values),
                      ArrayLiteral(writes.new_values), writes.ids.front(), writes.ids.back());
  txn.commit();
  return static_cast<std::uint64_t>(result.affected_rows());
}

BatchWriterPool::BatchWriterPool(const SecretValue& dsn, std::string compare_and_set,
                                 std::size_t writers, std::function<void()> after_commit_for_test)
    : dsn_(dsn),
      compare_and_set_(std::move(compare_and_set)),
      writers_(writers),
      after_commit_for_test_(std::move(after_commit_for_test)) {
  threads_.reserve(writers_);
  for (std::size_t i = 0; i < writers_; ++i) {
    threads_.emplace_back([this] { WriterLoop(); });
  }
}

BatchWriterPool::~BatchWriterPool() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return in_flight_ == 0; });
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
}

void BatchWriterPool::Submit(std::uint64_t seq, BatchWrites writes) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return in_flight_ < writers_; });
    ++in_flight_;
    queue_.push_back(Job{seq, std::move(writes)});
  }
  work_ready_.notify_one();
}

std::vector<WriteCompletion> BatchWriterPool::Take(bool wait_for_all) {
  std::unique_lock lock(mutex_);
  if (wait_for_all) {
    changed_.wait(lock, [&] { return in_flight_ == 0; });
  }
  std::vector<WriteCompletion> out;
  out.swap(done_);
  return out;
}

void BatchWriterPool::WriterLoop() {
  // This thread's connection, opened on its first batch and dropped after any failure (the job
  // then stops and reconnects everything on its next try).
  std::unique_ptr<pqxx::connection> connection;
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    WriteCompletion completion;
    completion.seq = job.seq;
    Result<void> written = GuardPg("writing a batch", [&]() -> Result<void> {
      if (!connection) {
        connection = std::make_unique<pqxx::connection>(std::string(dsn_.RevealUnsafe()));
      }
      const std::uint64_t written = WriteBatch(*connection, compare_and_set_, job.writes);
      if (after_commit_for_test_) {
        std::lock_guard hook(hook_mutex_);
        after_commit_for_test_();
      }
      completion.written = written;
      return {};
    });
    if (!written.ok()) {
      completion.error = written.error();
      connection.reset();
    }
    job = Job{};  // the batch's values are freed before the caller hears it is done
    {
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(completion));
      --in_flight_;
    }
    changed_.notify_all();
  }
}

}  // namespace locksmith::internal
