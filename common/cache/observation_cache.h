// The observation cache between the decision service and the probe engine
// (DESIGN.md §5). Every CheckRefresh needs a fresh-enough observation of the
// app's website, and many grants share one app, so:
// - Endpoint observations (addresses + TLS) are cached per scheme://host:port
//   and TXT observations per (eTLD+1, txt_key), for `ttl` (default 5 min),
//   failures only for `failure_ttl` (default 30 s) so a recovered site is
//   seen again soon. ttl = 0 disables reuse: every request probes.
// - Singleflight: requests for a key while its probe is in flight join that
//   probe; the Prober is called once and every waiter gets its result. This
//   holds with ttl = 0 too.
// - Stale-if-error: when the result for a key is a probe failure (nothing
//   definitive observed, see common/policy/probe_outcome.h) and the last good
//   result for that key is not older than the caller's `max_staleness`, the
//   caller gets the last good result marked stale. The last good result is
//   kept whatever the ttl, so this works with ttl = 0.
// - At most `max_entries` keys and `max_bytes` of results of each kind are
//   kept (an app's results are bytes it chose: a certificate with thousands
//   of names must not let a few thousand hosts fill the pod); the least
//   recently used key without a probe in flight is evicted first.
// - A probe runs to its own bound, `probe_timeout` from its start, whoever
//   started it: a request with a short deadline neither shortens the probe
//   it starts nor the one it joins. Its caller simply stops waiting (gRPC
//   ends the call), and the result, failed or not, is one the site earned:
//   safe to cache and to share with a caller whose deadline is long.
// - A local failure (LOCAL_ERROR: this process lacked a descriptor, memory
//   or a port) goes to the waiters of its probe only: it is not stored, not
//   replaced by the last good result, and the next request probes again.
//
// Thread-safe. `done` is called exactly once, never while the cache holds
// its lock, on whichever thread completes it: the prober's thread for a
// probe, the caller's own thread (inside Observe) for a cache hit.
// A caller whose deadline passes while a probe runs still gets `done` when
// the probe ends (at most `probe_timeout` later) and ignores it.
// The cache may be destroyed while probes are in flight: their completions
// still reach their waiters.
#ifndef APPTRUST_COMMON_CACHE_OBSERVATION_CACHE_H_
#define APPTRUST_COMMON_CACHE_OBSERVATION_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/prober.h"

namespace apptrust::cache {

enum class CachePart { kEndpoint, kTxt };

enum class CacheEventKind {
  kHit,        // served from a stored result without probing
  kMiss,       // started a probe
  kCoalesced,  // joined a probe in flight
  kStale,      // a failure was answered with the last good result (also counted as above)
  kEviction,   // a key was dropped to respect max_entries or max_bytes
};

struct CacheEvent {
  CachePart part;
  CacheEventKind kind;
};

struct ObservationCacheOptions {
  absl::Duration ttl = absl::Minutes(5);
  // Applied to failed results; never longer than ttl.
  absl::Duration failure_ttl = absl::Seconds(30);
  // Per kind (endpoint, TXT). At least 1.
  size_t max_entries = 10000;
  // Per kind: the accounted size of the kept results and keys. A single
  // result larger than this is answered but not kept.
  size_t max_bytes = size_t{128} << 20;
  // The bound of every probe the cache starts, from its start (see above).
  absl::Duration probe_timeout = absl::Seconds(5);
  // The stale-if-error allowance of the Observe overload without one
  // (DESIGN.md: 12 h is the outer bound).
  absl::Duration max_staleness = absl::Hours(12);
  // The clock for TTLs, staleness and probe deadlines; absl::Now when empty
  // (tests inject one, shared with their fake prober).
  std::function<absl::Time()> clock;
  // Called for every event, outside the cache's lock, on the thread that
  // caused it (for metrics counters; must be cheap and must not block).
  std::function<void(const CacheEvent&)> on_event;
};

// Counters since construction (events per part) and current sizes.
struct ObservationCacheStats {
  struct Part {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t coalesced = 0;
    uint64_t stale = 0;
    uint64_t evictions = 0;
    size_t entries = 0;
    size_t bytes = 0;  // accounted size of the kept results and keys
    size_t in_flight = 0;
  };
  Part endpoint;
  Part txt;
};

struct Observation {
  // Empty when asked for `shared_fingerprint` only (ObserveShared).
  v1::Fingerprint fingerprint;
  // Set by ObserveShared: the same fingerprint, shared and immutable (the
  // cache may hand the same object to other callers).
  std::shared_ptr<const v1::Fingerprint> shared_fingerprint;
  // Some part came from an earlier probe (a cache hit or a stale
  // substitution) rather than a probe finished for this request.
  bool from_cache = false;
  // Some part is the last good result standing in for a failed probe.
  bool stale = false;
};

class ObservationCache {
 public:
  explicit ObservationCache(probe::Prober& prober, ObservationCacheOptions options = {});
  ~ObservationCache();
  ObservationCache(const ObservationCache&) = delete;
  ObservationCache& operator=(const ObservationCache&) = delete;

  // Observes `target`'s endpoint and the `txt_key` TXT entries at
  // target.domain (skipped for IP-literal hosts: TXT outcome NOT_APPLICABLE),
  // then calls `done` with the assembled fingerprint (probe::BuildFingerprint,
  // `client_id` decides client_id_txt_present). `max_staleness` is how old a
  // last good result may be to stand in for a failure; pass
  // config::StaleAllowance(policy) (zero: never). There is no deadline: a
  // probe is bounded by options.probe_timeout alone (see above).
  void Observe(const net::Target& target, const std::string& client_id, const std::string& txt_key,
               absl::Duration max_staleness, std::function<void(Observation)> done);

  // Observe answering with `shared_fingerprint` instead of a copy in
  // `fingerprint`: the warm refresh path, which only reads it.
  void ObserveShared(const net::Target& target, const std::string& client_id,
                     const std::string& txt_key, absl::Duration max_staleness,
                     std::function<void(Observation)> done);

  // Same, with options.max_staleness as the allowance. Right only when the
  // policy is on_probe_failure=STALE_OK: under ALLOW or SUSPEND pass
  // config::StaleAllowance(policy) (zero) to the overload above, or a stale
  // observation hides the failure SUSPEND wants to act on.
  void Observe(const net::Target& target, const std::string& client_id, const std::string& txt_key,
               std::function<void(Observation)> done);

  ObservationCacheStats stats() const;

 private:
  struct State;
  void Start(const net::Target& target, const std::string& client_id, const std::string& txt_key,
             absl::Duration max_staleness, bool shared_only, std::function<void(Observation)> done);
  std::shared_ptr<State> state_;
};

}  // namespace apptrust::cache

#endif  // APPTRUST_COMMON_CACHE_OBSERVATION_CACHE_H_
