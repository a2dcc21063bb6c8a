// The probe engine's single event-loop thread: readiness of non-blocking file
// descriptors (c-ares sockets, TLS connections) and timers, driven by poll(2).
// Every probe is a small state machine fed by this loop, so thousands can be
// in flight without a thread each, and a peer that accepts and never speaks
// costs one registered descriptor and one timer.
//
// Threading: Post() may be called from any thread; everything else, and every
// callback, runs on the loop thread. Callbacks may register and unregister
// descriptors and timers (their own or others') while being dispatched. The
// destructor stops the loop and joins the thread; callbacks still registered
// are dropped without being called, so owners shut down their work (via
// Post) before destroying the loop.
//
// poll(2) rather than epoll: the descriptor set is rebuilt each iteration,
// which is O(probes in flight) and simple to reason about; the engine's
// concurrency is bounded by its callers' deadlines, not by this loop.
#ifndef APPTRUST_COMMON_PROBE_EVENT_LOOP_H_
#define APPTRUST_COMMON_PROBE_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace apptrust::probe {

class EventLoop {
 public:
  // Called with what poll reported: readable, writable, and error/hang-up
  // (reported as both readable and writable too, so a state machine's next
  // read or write observes the failure).
  using FdCallback = std::function<void(bool readable, bool writable)>;
  using TimerId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop thread. Once.
  absl::Status Start();

  // Runs `task` on the loop thread soon. Thread-safe. Tasks posted after the
  // loop stopped are dropped.
  void Post(std::function<void()> task);

  bool InLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // Loop thread only. Registers (or re-registers) `fd` for the given
  // interest; the callback replaces any earlier one for this fd.
  void WatchFd(int fd, bool want_read, bool want_write, FdCallback callback);
  // Changes the interest of a registered fd, keeping its callback.
  void UpdateFd(int fd, bool want_read, bool want_write);
  // Unregisters `fd` (call before closing it). Unknown fds are ignored.
  void UnwatchFd(int fd);

  // Loop thread only. Runs `callback` once at or after `when` (real time,
  // absl::Now), unless cancelled first.
  TimerId AddTimer(absl::Time when, std::function<void()> callback);
  void CancelTimer(TimerId id);

 private:
  struct Watch {
    bool want_read = false;
    bool want_write = false;
    uint64_t generation = 0;
    FdCallback callback;
  };

  void Run();
  void Wake();
  void DrainPosted();

  std::thread thread_;
  int wake_fd_ = -1;  // eventfd

  absl::Mutex mutex_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;

  // Loop-thread state.
  std::unordered_map<int, Watch> watches_;
  uint64_t next_generation_ = 1;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
  std::unordered_map<TimerId, absl::Time> timer_index_;
  TimerId next_timer_ = 1;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_EVENT_LOOP_H_
