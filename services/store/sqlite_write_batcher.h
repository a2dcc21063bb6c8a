// SqliteWriteBatcher: group commit on one SQLite writer connection.
//
// A write call joins a queue; the call at its front becomes the leader and
// runs the queued writes (up to kMaxBatch) in queue order in one BEGIN
// IMMEDIATE transaction, each inside its own savepoint, then commits them
// with one COMMIT (one fsync) and answers their callers. The others wait
// meanwhile and the next front leads the next batch, so concurrent writers
// share fsyncs while a lone writer still gets a transaction of one. Within a
// batch each write sees the ones before it, exactly as if run one after the
// other: a read-modify-write stays atomic, and a write that fails is rolled
// back to its savepoint without touching the others. A write is answered OK
// only after the COMMIT that holds it succeeded; if that COMMIT fails, every
// write of the batch fails with its error.
//
// The batcher knows nothing of grants: SqliteBackend gives it bodies of SQL.
// Thread-safe; only the leader ever touches the connection.
#ifndef APPTRUST_SERVICES_STORE_SQLITE_WRITE_BATCHER_H_
#define APPTRUST_SERVICES_STORE_SQLITE_WRITE_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/store/sqlite_connection.h"

namespace apptrust::store {

// What the writer has done since it was made (see stats()).
struct SqliteWriteStats {
  // Write calls that succeeded, i.e. whose COMMIT succeeded.
  int64_t committed_writes = 0;
  // COMMITs that carried at least one of them: one WAL fsync each. Fewer than
  // committed_writes when concurrent writes shared a commit.
  int64_t commits = 0;
  // Write calls queued or running now, not yet answered.
  int64_t pending_writes = 0;
};

class SqliteWriteBatcher {
 public:
  // The most writes one transaction carries.
  static constexpr size_t kMaxBatch = 256;

  // `on_commit` is called after each COMMIT with the number of writes it
  // held, on the committing thread; it must be cheap (metrics). May be empty.
  SqliteWriteBatcher(std::unique_ptr<SqliteConnection> writer,
                     std::function<void(int64_t writes)> on_commit);
  SqliteWriteBatcher(const SqliteWriteBatcher&) = delete;
  SqliteWriteBatcher& operator=(const SqliteWriteBatcher&) = delete;

  // Runs `body` on the writer connection in a committed transaction (shared
  // with concurrent writes) and returns its status once that transaction has
  // committed; when `body` fails, its changes are rolled back and its error
  // returned. `body` may run on another thread (the leader's) while this one
  // waits.
  absl::Status Run(absl::FunctionRef<absl::Status(SqliteConnection&)> body)
      ABSL_LOCKS_EXCLUDED(queue_mutex_, writer_mutex_);

  // Run for a body returning absl::StatusOr<T>: its value, once committed.
  template <typename Body>
  auto Transaction(Body body) -> decltype(body(std::declval<SqliteConnection&>())) {
    std::optional<decltype(body(std::declval<SqliteConnection&>()))> result;
    absl::Status status = Run([&](SqliteConnection& writer) {
      result.emplace(body(writer));
      return result->status();
    });
    // The body's value only counts once its batch committed.
    if (!status.ok()) return status;
    return *std::move(result);
  }

  // A consistent snapshot, for tests and metrics.
  SqliteWriteStats stats() const ABSL_LOCKS_EXCLUDED(queue_mutex_);

 private:
  struct Job;
  // What a leader's batch came to (RunBatch).
  struct BatchOutcome {
    // Jobs answered: the first `finished` of the batch. The rest were not run
    // (the transaction broke before them) and stay queued for the next batch.
    size_t finished = 0;
    int64_t committed_writes = 0;
  };

  // The leader's work: runs `batch` in one transaction and sets each finished
  // job's status.
  BatchOutcome RunBatch(const std::vector<Job*>& batch) ABSL_LOCKS_EXCLUDED(writer_mutex_);

  const std::function<void(int64_t)> on_commit_;
  mutable absl::Mutex queue_mutex_;
  // Writes not yet answered, in arrival order; the front one's caller leads.
  // A job leaves the queue only once answered, so the leader stays at the
  // front while its batch runs.
  std::deque<Job*> queue_ ABSL_GUARDED_BY(queue_mutex_);
  SqliteWriteStats stats_ ABSL_GUARDED_BY(queue_mutex_);
  // Held by the leader while it runs a batch. Only the leader ever takes it,
  // so it is never contended; it makes "only the leader touches writer_"
  // checkable.
  absl::Mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(writer_mutex_);
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SQLITE_WRITE_BATCHER_H_
