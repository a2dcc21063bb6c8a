#include "services/store/audit_sweeper.h"

#include <utility>

#include "common/logging/json_log.h"

namespace apptrust::store {

AuditSweeper::AuditSweeper(GrantBackend* backend, AuditSweeperOptions options)
    : backend_(backend), options_(std::move(options)) {
  if (options_.retention == absl::InfiniteDuration()) return;
  thread_ = std::thread([this] { Run(); });
}

AuditSweeper::~AuditSweeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> AuditSweeper::SweepOnce() {
  const absl::Time before = options_.clock() - options_.retention;
  int64_t removed = 0;
  while (!stop_.HasBeenNotified()) {
    auto batch =
        backend_->PruneAuditEntries(before, options_.batch, absl::Now() + absl::Seconds(30));
    if (!batch.ok()) return batch.status();
    removed += *batch;
    // A short batch was the last one: nothing older is left.
    if (*batch < options_.batch) break;
  }
  return removed;
}

void AuditSweeper::Run() {
  do {
    auto removed = SweepOnce();
    if (!removed.ok()) {
      logging::Warning("audit retention sweep failed").Field("error", removed.status().message());
    } else if (*removed > 0) {
      logging::Info("audit entries past retention removed")
          .Field("removed", *removed)
          .Field("retention", absl::FormatDuration(options_.retention));
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
}

}  // namespace apptrust::store
