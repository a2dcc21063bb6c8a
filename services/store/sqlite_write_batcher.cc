#include "services/store/sqlite_write_batcher.h"

#include <sqlite3.h>

#include <algorithm>

namespace apptrust::store {

// One write call waiting in the queue. `body` runs the caller's body and
// keeps its result in the caller's frame; the caller reads `status` (and that
// result) once `done` is set. Until then the leader that took the job owns
// `status`, so it needs no lock of its own: `done`, set under queue_mutex_
// after `status`, publishes it.
struct SqliteWriteBatcher::Job {
  explicit Job(absl::FunctionRef<absl::Status(SqliteConnection&)> body) : body(body) {}
  absl::FunctionRef<absl::Status(SqliteConnection&)> body;
  absl::Status status;
  bool done = false;
};

SqliteWriteBatcher::SqliteWriteBatcher(std::unique_ptr<SqliteConnection> writer,
                                       std::function<void(int64_t writes)> on_commit)
    : on_commit_(std::move(on_commit)), writer_(std::move(writer)) {}

SqliteWriteStats SqliteWriteBatcher::stats() const {
  absl::MutexLock lock(&queue_mutex_);
  SqliteWriteStats stats = stats_;
  stats.pending_writes = static_cast<int64_t>(queue_.size());
  return stats;
}

absl::Status SqliteWriteBatcher::Run(absl::FunctionRef<absl::Status(SqliteConnection&)> body) {
  Job job(body);
  std::vector<Job*> batch;
  {
    absl::MutexLock lock(&queue_mutex_);
    queue_.push_back(&job);
    auto done_or_front = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
      return job.done || queue_.front() == &job;
    };
    queue_mutex_.Await(absl::Condition(&done_or_front));
    if (job.done) return job.status;
    // This call leads: it takes what is queued now, itself first.
    const size_t size = std::min(queue_.size(), kMaxBatch);
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(size));
  }
  const BatchOutcome outcome = RunBatch(batch);
  absl::MutexLock lock(&queue_mutex_);
  for (size_t i = 0; i < outcome.finished; ++i) {
    queue_.front()->done = true;
    queue_.pop_front();
  }
  stats_.committed_writes += outcome.committed_writes;
  if (outcome.committed_writes > 0) ++stats_.commits;
  if (outcome.committed_writes > 0 && on_commit_) {
    on_commit_(static_cast<int64_t>(outcome.committed_writes));
  }
  // Unlocking wakes the answered callers and the next front, the next leader.
  return job.status;
}

SqliteWriteBatcher::BatchOutcome SqliteWriteBatcher::RunBatch(const std::vector<Job*>& batch) {
  absl::MutexLock lock(&writer_mutex_);
  SqliteConnection& writer = *writer_;
  BatchOutcome outcome;
  if (absl::Status status = writer.Exec("BEGIN IMMEDIATE"); !status.ok()) {
    for (Job* job : batch) job->status = status;
    outcome.finished = batch.size();
    return outcome;
  }
  // Set when the transaction cannot go on (SQLite rolled it back itself after
  // an I/O error, or a savepoint statement failed): nothing of the batch
  // will commit.
  absl::Status broken;
  size_t ran = 0;
  while (ran < batch.size() && broken.ok()) {
    Job& job = *batch[ran++];
    if (absl::Status status = writer.Exec("SAVEPOINT w"); !status.ok()) {
      job.status = status;
      broken = status;
      break;
    }
    job.status = job.body(writer);
    if (job.status.ok()) {
      broken = writer.Exec("RELEASE w");
      if (!broken.ok()) job.status = broken;
    } else if (sqlite3_get_autocommit(writer.handle()) != 0) {
      broken = job.status;
    } else {
      broken = writer.Exec("ROLLBACK TO w");
      if (broken.ok()) broken = writer.Exec("RELEASE w");
    }
  }
  outcome.finished = ran;
  absl::Status commit = broken;
  if (commit.ok()) commit = writer.Exec("COMMIT");
  if (!commit.ok()) {
    if (sqlite3_get_autocommit(writer.handle()) == 0) (void)writer.Exec("ROLLBACK");
    for (size_t i = 0; i < ran; ++i) {
      if (batch[i]->status.ok()) batch[i]->status = commit;
    }
    return outcome;
  }
  for (size_t i = 0; i < ran; ++i) {
    if (batch[i]->status.ok()) ++outcome.committed_writes;
  }
  return outcome;
}

}  // namespace apptrust::store
