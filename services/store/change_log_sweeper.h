// ChangeLogSweeper: enforces the change log's retention (--change_retention,
// --change_retention_revisions).
//
// The change log exists for WatchGrants clients that reconnect and resume;
// a client further behind than the retention resynchronises (OUT_OF_RANGE),
// so the log stays small: a change is removed once it is older than
// `retention` or more than `keep_revisions` revisions behind the newest,
// whichever comes first. Like the audit sweep (audit_sweeper.h), a
// background thread removes them oldest first in bounded batches, each one
// short write transaction, and logs and retries a failed batch at its next
// wake-up.
#ifndef APPTRUST_SERVICES_STORE_CHANGE_LOG_SWEEPER_H_
#define APPTRUST_SERVICES_STORE_CHANGE_LOG_SWEEPER_H_

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
struct ChangeLogSweeperOptions {
  // Positive and finite.
  absl::Duration retention = absl::Hours(1);
  // At least 1.
  int64_t keep_revisions = 1'000'000;
  // Positive and finite.
  absl::Duration interval = absl::Seconds(10);
  // At least 1: changes removed per write transaction.
  int batch = 1000;
  std::function<absl::Time()> clock = absl::Now;
};

class ChangeLogSweeper {
 public:
  // Starts sweeping `backend` (which must outlive the sweeper) at once and
  // then every options.interval.
  ChangeLogSweeper(GrantBackend* backend, ChangeLogSweeperOptions options);
  // Stops the thread; a batch in progress finishes first.
  ~ChangeLogSweeper();
  ChangeLogSweeper(const ChangeLogSweeper&) = delete;
  ChangeLogSweeper& operator=(const ChangeLogSweeper&) = delete;

  // One sweep now, on the calling thread. Returns how many it removed.
  absl::StatusOr<int64_t> SweepOnce();

 private:
  void Run();

  GrantBackend* const backend_;
  const ChangeLogSweeperOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_CHANGE_LOG_SWEEPER_H_
