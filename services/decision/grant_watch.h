// Keeps a CoherentGrantCache fed from apptrust-store's change stream
// (FingerprintStore.WatchGrants) for as long as it lives.
//
// One reader thread opens the stream (resuming from the cache's position),
// hands every response to the cache and, when the stream ends, tells the
// cache (which stops answering from memory at once) and opens it again after
// a backoff (100 ms doubling to 2 s, with jitter; reset by a response). One
// heartbeat thread sends a heartbeat every `heartbeat_interval` and ends a
// stream that has been silent for `stall_timeout` (a stopped or partitioned
// store leaves a stream open without answering; the cache stopped answering
// from memory `max_lag` after the last echo already, this only reconnects).
// A store without WatchGrants (UNIMPLEMENTED) is retried at the backoff's
// ceiling; refreshes then read the store every time.
#ifndef APPTRUST_SERVICES_DECISION_GRANT_WATCH_H_
#define APPTRUST_SERVICES_DECISION_GRANT_WATCH_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "services/decision/coherent_grant_cache.h"

namespace apptrust::decision {

struct GrantWatchOptions {
  absl::Duration heartbeat_interval = absl::Milliseconds(250);
  absl::Duration stall_timeout = absl::Seconds(5);
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Called on the heartbeat thread after every heartbeat (metrics).
  std::function<void()> on_tick;
  // Called when a stream ends, with its status (metrics).
  std::function<void(const grpc::Status&)> on_stream_end;
};

class GrantWatch {
 public:
  // `cache` must outlive this object. Starts at once.
  GrantWatch(std::shared_ptr<grpc::Channel> store_channel, CoherentGrantCache& cache,
             GrantWatchOptions options);
  // Ends the stream and joins the threads.
  ~GrantWatch();
  GrantWatch(const GrantWatch&) = delete;
  GrantWatch& operator=(const GrantWatch&) = delete;

 private:
  using Stream = grpc::ClientReaderWriter<v1::WatchGrantsRequest, v1::WatchGrantsResponse>;

  void Read();
  void Beat();
  // One stream, from open to end; `answered` is set when a response came.
  grpc::Status RunStream(bool* answered);
  // Waits `duration` or until stopping; true when stopping.
  bool WaitOrStop(absl::Duration duration);

  std::unique_ptr<v1::FingerprintStore::Stub> stub_;
  CoherentGrantCache& cache_;
  const GrantWatchOptions options_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time last_response_ ABSL_GUARDED_BY(mu_);  // or the stream's opening (MonotonicNow)
  // Writes to the stream (the heartbeat thread's) happen under it, so the
  // reader can retire the stream safely.
  absl::Mutex write_mu_ ABSL_ACQUIRED_AFTER(mu_);
  Stream* stream_ ABSL_GUARDED_BY(write_mu_) = nullptr;

  std::thread reader_;
  std::thread heart_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_GRANT_WATCH_H_
