#include "services/store/change_log_sweeper.h"

#include <utility>

#include "common/logging/json_log.h"

namespace apptrust::store {

ChangeLogSweeper::ChangeLogSweeper(GrantBackend* backend, ChangeLogSweeperOptions options)
    : backend_(backend), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

ChangeLogSweeper::~ChangeLogSweeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> ChangeLogSweeper::SweepOnce() {
  const absl::Time before = options_.clock() - options_.retention;
  int64_t removed = 0;
  while (!stop_.HasBeenNotified()) {
    auto batch = backend_->PruneChanges(before, options_.keep_revisions, options_.batch,
                                        absl::Now() + absl::Seconds(30));
    if (!batch.ok()) return batch.status();
    removed += *batch;
    // A short batch was the last one.
    if (*batch < options_.batch) break;
  }
  return removed;
}

void ChangeLogSweeper::Run() {
  do {
    auto removed = SweepOnce();
    if (!removed.ok()) {
      logging::Warning("change log retention sweep failed")
          .Field("error", removed.status().message());
    } else if (*removed > 0) {
      logging::Debug("changes past retention removed").Field("removed", *removed);
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
}

}  // namespace apptrust::store
