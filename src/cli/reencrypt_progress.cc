#include "cli/reencrypt_progress.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace locksmith {
namespace {

constexpr int kBarWidth = 30;

}  // namespace

std::string FormatEta(std::chrono::seconds eta) {
  const auto s = std::max<std::int64_t>(eta.count(), 0);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof(buffer), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%llds", static_cast<long long>(s));
  }
  return buffer;
}

ReencryptProgress::ReencryptProgress(std::ostream& err, bool terminal, Clock& clock,
                                     std::chrono::seconds interval)
    : err_(err),
      terminal_(terminal),
      clock_(clock),
      interval_(interval),
      start_(clock.Now()),
      last_printed_(start_) {}

std::string ReencryptProgress::Line(std::uint64_t done, std::uint64_t total, double rows_per_second,
                                    bool bar) {
  // Rows the application wrote on an old key meanwhile can take `done` past the first count.
  const std::uint64_t shown_total = std::max(total, done);
  const int percent = shown_total == 0 ? 100 : static_cast<int>(done * 100 / shown_total);
  std::string eta = "--";
  if (rows_per_second > 0) {
    eta = FormatEta(std::chrono::seconds(
        static_cast<std::int64_t>(static_cast<double>(shown_total - done) / rows_per_second)));
  }
  char figures[160];
  std::snprintf(figures, sizeof(figures), "%llu/%llu rows (%d%%), %.0f rows/s, ETA %s",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(shown_total),
                percent, rows_per_second, eta.c_str());
  if (!bar) {
    return std::string("reencrypt: ") + figures;
  }
  const int filled = percent * kBarWidth / 100;
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(kBarWidth - filled), '-') + "] " + figures;
}

void ReencryptProgress::OnBatch(const ReencryptionReport& report) {
  const auto now = clock_.Now();
  if (!terminal_ && printed_ && now - last_printed_ < interval_) {
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(report.rows_scanned) / elapsed : 0;
  const std::uint64_t total = report.rows_total - report.rows_already_current;
  const std::string line = Line(report.rows_scanned, total, rate, terminal_);
  if (terminal_) {
    err_ << "\r" << line << "\x1b[K";  // back to the line's start, clear what is left of it
  } else {
    err_ << line << "\n";
  }
  err_.flush();
  printed_ = true;
  last_printed_ = now;
}

void ReencryptProgress::Finish() {
  if (terminal_ && printed_) {
    err_ << "\n";
    err_.flush();
  }
}

}  // namespace locksmith
