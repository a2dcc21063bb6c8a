// AuditSweeper: enforces the audit log's retention (--audit_retention).
//
// Audit entries are kept for a fixed period after the change they record,
// whether or not their grant still exists (HIPAA asks that such records be
// kept six years: the default). A background thread wakes every `interval`
// and removes the entries older than now - `retention`, oldest first, in
// batches of at most `batch` entries: each batch is one write in the store's
// writer queue (sqlite_backend.h), so a grant write never waits behind more
// than one batch however many entries have expired. A failed batch is logged
// and retried at the next wake-up; the sweep never touches grants.
#ifndef APPTRUST_SERVICES_STORE_AUDIT_SWEEPER_H_
#define APPTRUST_SERVICES_STORE_AUDIT_SWEEPER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/store/grant_backend.h"

namespace apptrust::store {

// main.cc refuses flags outside these ranges.
struct AuditSweeperOptions {
  // Positive. Entries older than this are removed; absl::InfiniteDuration()
  // keeps them forever (no thread is started).
  absl::Duration retention = absl::Hours(6 * 365 * 24);
  // Positive and finite.
  absl::Duration interval = absl::Hours(1);
  // At least 1: entries removed per write transaction.
  int batch = 1000;
  std::function<absl::Time()> clock = absl::Now;
};

class AuditSweeper {
 public:
  // Starts sweeping `backend` (which must outlive the sweeper) at once and
  // then every options.interval.
  AuditSweeper(GrantBackend* backend, AuditSweeperOptions options);
  // Stops the thread; a batch in progress finishes first.
  ~AuditSweeper();
  AuditSweeper(const AuditSweeper&) = delete;
  AuditSweeper& operator=(const AuditSweeper&) = delete;

  // One sweep now, on the calling thread: removes every expired entry (batch
  // by batch) unless stopped. Returns how many it removed.
  absl::StatusOr<int64_t> SweepOnce();

 private:
  void Run();

  GrantBackend* const backend_;
  const AuditSweeperOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_AUDIT_SWEEPER_H_
