// PgPool: a bounded pool of PgConnections to one PostgreSQL database.
//
// At most `size` connections are open; a caller waits for a free one until
// its deadline (and at most `acquire_timeout`). Connections are opened on
// demand and set up by `setup` (session settings, prepared statements) before
// first use. A connection that broke (a lost server, a demoted primary, a
// timed-out call) is dropped on release, and so are the idle ones opened
// before it: after a failover they all point at the old server, and each
// would cost one more caller an error.
//
// Reconnecting backs off: after a failed connect, the next attempt waits
// min_backoff, doubling to max_backoff, reset by a success. While no
// connection is open and the backoff runs, callers fail at once with
// UNAVAILABLE and the last connect error instead of queueing behind a dead
// server.
#ifndef APPTRUST_SERVICES_STORE_POSTGRES_POOL_H_
#define APPTRUST_SERVICES_STORE_POSTGRES_POOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/store/postgres_connection.h"

namespace apptrust::store {

struct PgPoolOptions {
  PgConnectOptions connect;
  int size = 16;
  // Longest a caller waits for a free connection when its own deadline is
  // later (or absent).
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Longest one connect (every host of the URI) may take.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  // Runs on each new connection before its first use.
  std::function<absl::Status(PgConnection&, absl::Time deadline)> setup;
};

struct PgPoolStats {
  int open = 0;
  int idle = 0;
  int64_t connects = 0;
  int64_t connect_failures = 0;
  int64_t dropped = 0;
};

class PgPool {
 public:
  explicit PgPool(PgPoolOptions options);
  ~PgPool();

  // A connection borrowed from the pool; returned (or dropped when broken)
  // when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection* operator->() const { return connection_.get(); }
    PgConnection& operator*() const { return *connection_; }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<PgConnection> connection, uint64_t generation);
    PgPool* pool_;
    std::unique_ptr<PgConnection> connection_;
    uint64_t generation_;
  };

  // UNAVAILABLE when the database cannot be reached (with the connect
  // error), or no connection became free in time.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  PgPoolStats stats() const;

 private:
  void Release(std::unique_ptr<PgConnection> connection, uint64_t generation);
  absl::StatusOr<std::unique_ptr<PgConnection>> Open(absl::Time deadline);

  const PgPoolOptions options_;
  mutable absl::Mutex mutex_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mutex_);
  // Open connections, idle, leased or being opened.
  int open_ ABSL_GUARDED_BY(mutex_) = 0;
  // Bumped when a connection breaks: older idle connections are suspect.
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Time next_connect_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mutex_) = absl::ZeroDuration();
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mutex_);
  PgPoolStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_POSTGRES_POOL_H_
