#include "services/store/postgres_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace apptrust::store {

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<PgConnection> connection, uint64_t generation)
    : pool_(pool), connection_(std::move(connection)), generation_(generation) {}

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      connection_(std::move(other.connection_)),
      generation_(other.generation_) {}

PgPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_), generation_);
}

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {}

PgPool::~PgPool() = default;

PgPoolStats PgPool::stats() const {
  absl::MutexLock lock(&mutex_);
  PgPoolStats stats = stats_;
  stats.open = open_;
  stats.idle = static_cast<int>(idle_.size());
  return stats;
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire(absl::Time deadline) {
  const absl::Time give_up = std::min(deadline, absl::Now() + options_.acquire_timeout);
  absl::MutexLock lock(&mutex_);
  while (true) {
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection), generation_);
    }
    const absl::Time now = absl::Now();
    if (open_ < options_.size && now >= next_connect_) {
      ++open_;
      const uint64_t generation = generation_;
      mutex_.Unlock();
      auto connection = Open(std::min(give_up, now + options_.connect_timeout));
      mutex_.Lock();
      if (connection.ok()) {
        ++stats_.connects;
        backoff_ = absl::ZeroDuration();
        next_connect_ = absl::InfinitePast();
        last_connect_error_ = absl::OkStatus();
        return Lease(this, std::move(*connection), generation);
      }
      --open_;
      ++stats_.connect_failures;
      backoff_ = std::clamp(backoff_ * 2, options_.min_backoff, options_.max_backoff);
      next_connect_ = absl::Now() + backoff_;
      last_connect_error_ = connection.status();
      return absl::UnavailableError(
          absl::StrCat("database unreachable: ", connection.status().message()));
    }
    // Nothing open and reconnecting backs off: the database is down, and
    // waiting would only hold this caller's thread.
    if (open_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("database unreachable (reconnecting): ", last_connect_error_.message()));
    }
    if (absl::Now() >= give_up) {
      return absl::UnavailableError(
          absl::StrCat("all ", options_.size, " database connections stayed busy"));
    }
    // Woken by a release, or when the backoff allows a new connection.
    const absl::Time wake = open_ < options_.size ? std::min(give_up, next_connect_) : give_up;
    mutex_.AwaitWithDeadline(
        absl::Condition(
            +[](std::vector<std::unique_ptr<PgConnection>>* idle) { return !idle->empty(); },
            &idle_),
        wake);
  }
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgPool::Open(absl::Time deadline) {
  auto connection = PgConnection::Connect(options_.connect, deadline);
  if (!connection.ok()) return connection.status();
  if (options_.setup) {
    if (absl::Status status = options_.setup(**connection, deadline); !status.ok()) {
      return status;
    }
  }
  return connection;
}

void PgPool::Release(std::unique_ptr<PgConnection> connection, uint64_t generation) {
  // A connection left inside a transaction (a caller's bug, or a failed
  // rollback) would carry its locks to the next caller.
  const bool reusable = connection->healthy() && !connection->in_transaction();
  absl::MutexLock lock(&mutex_);
  if (!reusable) {
    --open_;
    ++stats_.dropped;
    // The server it reached is likely gone for its siblings too.
    ++generation_;
    stats_.dropped += static_cast<int64_t>(idle_.size());
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    return;
  }
  if (generation != generation_) {
    --open_;
    ++stats_.dropped;
    return;
  }
  idle_.push_back(std::move(connection));
}

}  // namespace apptrust::store
