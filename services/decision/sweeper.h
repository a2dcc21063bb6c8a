// Sweeper: re-checks every app with ACTIVE grants ahead of its patients'
// refreshes and records what would suspend, so developers hear of an
// expiring certificate or a vanished TXT record before their patients are
// cut off (docs/OPERATING.md, "The sweep").
//
// Exactly one decision replica sweeps at a time: the one holding the store
// lease `lease_name` (FingerprintStore.AcquireLease). It renews the lease
// every lease_ttl / 3; when a renewal fails or is refused it stops sweeping
// at once (the pass is abandoned, nothing more is written: the store also
// refuses writes under a stale epoch). Replicas without the lease try to
// take it every lease_ttl / 3, so a dead holder is replaced within about
// 4/3 of the TTL. A replica that takes the lease starts a pass at once;
// later passes start `interval` after the previous pass started.
//
// A pass walks ListActiveApps page by page (memory holds one page),
// observes each app's redirect host through the SAME observation cache as
// refreshes (a fresh observation is reused; a probe warms the cache for the
// next refresh), paced at probes_per_second with +-jitter, classifies it
// (sweep_classifier.h), writes the page's results (the last page completes
// the pass, which removes rows of apps that no longer have ACTIVE grants),
// and notifies the developer of each app at risk. It never suspends a
// grant: suspension stays with the refresh.
#ifndef APPTRUST_SERVICES_DECISION_SWEEPER_H_
#define APPTRUST_SERVICES_DECISION_SWEEPER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apptrust/v1/policy.pb.h"
#include "common/cache/observation_cache.h"
#include "services/decision/sweep_metrics.h"
#include "services/decision/sweep_notifier.h"
#include "services/decision/sweep_store.h"

namespace apptrust::decision {

struct SweeperOptions {
  v1::PolicyConfig policy;
  // From the start of one pass to the start of the next.
  absl::Duration interval = absl::Hours(6);
  // Observations started per second (at least 0.01).
  double probes_per_second = 5;
  // Each pause between observations is scaled by a random factor in
  // [1 - jitter, 1 + jitter]; 0 to 1.
  double jitter = 0.2;
  absl::Duration lease_ttl = absl::Seconds(30);
  std::string lease_name = "sweep";
  // Unique per process.
  std::string holder;
  int page_size = 200;
  // Bound of each store call.
  absl::Duration store_timeout = absl::Seconds(10);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class Sweeper {
 public:
  // `metrics` and `notifier` may be null. All must outlive the sweeper.
  Sweeper(SweeperOptions options, SweepStore& store, cache::ObservationCache& cache,
          SweepMetrics* metrics, SweepNotifier* notifier);
  // Stops and joins the thread.
  ~Sweeper();

  // Starts the background thread (lease, passes).
  void Start();
  void Stop();

  // One round of the loop, on the caller's thread (tests): take or renew the
  // lease, and when held run a full pass. OK when the lease is not held
  // (nothing done); the pass's error otherwise.
  absl::Status RunOnce();

  // Passes this process completed.
  int passes_completed() const;

 private:
  struct PageRun;

  // Takes or renews the lease; updates held_/epoch_. False when not held.
  bool TakeLease();
  // Renews when due; false when the lease is lost (the pass must stop).
  bool KeepLease();
  absl::Status RunPass();
  // Sleeps until `until` or Stop(); false when stopping.
  bool SleepUntil(absl::Time until);
  void Loop();

  const SweeperOptions options_;
  SweepStore& store_;
  cache::ObservationCache& cache_;
  SweepMetrics* const metrics_;
  SweepNotifier* const notifier_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int passes_completed_ ABSL_GUARDED_BY(mu_) = 0;

  // The sweeper thread's own state.
  bool held_ = false;
  int64_t epoch_ = 0;
  absl::Time renew_at_ = absl::InfinitePast();
  absl::Time next_pass_at_ = absl::InfinitePast();
  std::thread thread_;
};

// A holder name unique to this process: host name, pid and random bits.
std::string MakeSweepHolder();

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEPER_H_
