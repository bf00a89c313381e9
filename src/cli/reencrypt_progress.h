// The re-encryption job's progress for `locksmith reencrypt`: on a terminal, one line redrawn in
// place (a bar, rows done / total, rate, ETA); otherwise a plain line every `interval` of the
// injected clock, for logs. Rows done = rows read (moved or left alone); the total = rows not yet
// on the primary key when the job started.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "locksmith/clock.h"
#include "locksmith/reencryption_job.h"

namespace locksmith {

// "1m05s", "2h03m", "42s".
std::string FormatEta(std::chrono::seconds eta);

// Not thread-safe: the job's loop calls it.
class ReencryptProgress {
 public:
  ReencryptProgress(std::ostream& err, bool terminal, Clock& clock,
                    std::chrono::seconds interval = std::chrono::seconds(10));

  // After every batch (ReencryptionOptions::on_batch).
  void OnBatch(const ReencryptionReport& report);
  // Ends the bar's line (a terminal) before the summary is printed.
  void Finish();

  // The line for these figures (no newline): exposed for tests.
  static std::string Line(std::uint64_t done, std::uint64_t total, double rows_per_second,
                          bool bar);

 private:
  std::ostream& err_;
  bool terminal_;
  Clock& clock_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_printed_;
  bool printed_ = false;
};

}  // namespace locksmith
