// Metrics: the Prometheus metrics locksmith exports (all named secrets_manager_*), kept in a
// prometheus-cpp registry behind this opaque type. See README "Metrics" for the list.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace locksmith {

// Thread-safe. Hot-path counters (cache hits) are sharded per thread and summed at scrape time,
// so recording them does not make reader threads contend.
class Metrics {
 public:
  virtual ~Metrics() = default;

  // The text exposition format (what /metrics serves).
  virtual std::string RenderText() const = 0;

  // Recording; `backend` is Provider::Kind(), `operation` is "get", "describe", "list", "put"...
  virtual void RecordBackendCall(std::string_view backend, std::string_view operation, bool success,
                                 double latency_seconds) = 0;
  // secrets_manager_access_total{secret, result}: one Get/GetVersion of the logical name
  // `secret`. A SecretsManager records failures and back-end answers here; its cache hits it
  // counts itself, per thread, when these metrics were made by Create() (so a hit stays free of
  // shared writes), and through this call for any other implementation.
  virtual void RecordAccess(std::string_view secret, bool success) = 0;
  virtual void RecordCacheHit() = 0;
  virtual void RecordCacheMiss() = 0;
  virtual void RecordRefreshFailure(std::string_view secret) = 0;
  virtual void RecordStaleServed(std::string_view secret) = 0;
  // 0 closed, 1 open, 2 half-open.
  virtual void SetBreakerState(std::string_view backend, int state) = 0;
  virtual void SetSecretAgeDays(std::string_view secret, double days) = 0;
  virtual void RecordDecryptionFailure(std::string_view key) = 0;
  // Re-encryption (ReencryptionJob), labelled by the job's table and column. `reason`:
  // "undecryptable", "plaintext" or "null" (rows the job leaves as they are).
  virtual void RecordReencryptedRows(std::string_view table, std::string_view column,
                                     std::uint64_t rows) = 0;
  virtual void RecordReencryptionFailures(std::string_view table, std::string_view column,
                                          std::string_view reason, std::uint64_t rows) = 0;
  // Rows of the column still under `key_id` (a key that is not the ring's primary).
  virtual void SetReencryptionRowsRemaining(std::string_view table, std::string_view column,
                                            std::string_view key_id, double rows) = 0;

  static std::unique_ptr<Metrics> Create();
};

}  // namespace locksmith
