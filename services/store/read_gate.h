// ReadGate: how many reads the store runs at once, and how many may wait.
//
// Without it every gRPC thread that receives a read goes straight to the
// database: during a stall (the database locked by another process, the
// host paging) reads pile up without bound, and when the stall ends each of
// them is executed even if its caller gave up long ago, so the store spends
// its recovery on answers nobody reads (issue 13 item 6: 118 of 315 calls
// ran up to 10 s past their 2 s deadline). With it:
//   - at most `max_running` reads run at once; the others wait for a turn;
//   - at most `max_waiting` wait; one more is refused at once with
//     RESOURCE_EXHAUSTED (the caller retries or fails over; a full queue means
//     it would not be served in time anyway);
//   - a read whose deadline has passed, before or while it waits, is not run:
//     DEADLINE_EXCEEDED.
// Writes do not pass here: they have their own queue (group commit).
//
// Thread-safe.
#ifndef APPTRUST_SERVICES_STORE_READ_GATE_H_
#define APPTRUST_SERVICES_STORE_READ_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace apptrust::store {

struct ReadGateOptions {
  int max_running = 16;
  // Each waiting read holds one of the store's gRPC threads (a synchronous
  // service): running + waiting must leave threads for writes (main.cc
  // checks it against the listener's thread bound).
  int max_waiting = 32;
  // The longest a read waits for a turn, whatever its deadline (a caller may
  // send none, or cancel): past it the read is UNAVAILABLE, which callers
  // retry, and its thread is free again.
  absl::Duration max_wait = absl::Seconds(2);
};

class ReadGate {
 public:
  explicit ReadGate(ReadGateOptions options);

  // A turn to run one read; the read runs while the Turn lives.
  class Turn {
   public:
    Turn(Turn&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Turn& operator=(Turn&&) = delete;
    ~Turn();

   private:
    friend class ReadGate;
    explicit Turn(ReadGate* gate) : gate_(gate) {}
    ReadGate* gate_;
  };

  // Waits until a read may run or `deadline` passes. Errors:
  // DEADLINE_EXCEEDED (the deadline passed first, or had already), and
  // RESOURCE_EXHAUSTED (max_waiting reads are waiting already).
  absl::StatusOr<Turn> Enter(absl::Time deadline);

  // Reads running and waiting now (tests, metrics).
  int running() const;
  int waiting() const;

 private:
  void Leave();

  const ReadGateOptions options_;
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_READ_GATE_H_
