// The decision service's Prometheus metrics (names and help texts from
// common/metrics/metric_names.h). One object per process, registered on the
// MetricsServer's registry; every method is thread-safe and cheap (a lock-free
// add after a label lookup), so RPC handlers and the probe event loop call
// them inline.
//
// Label values are closed sets chosen here from typed arguments (enums of the
// API contract), never free text from a request, so a caller cannot blow up
// the number of series.
#ifndef APPTRUST_SERVICES_DECISION_DECISION_METRICS_H_
#define APPTRUST_SERVICES_DECISION_DECISION_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "grpcpp/support/status_code_enum.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace apptrust::decision {

enum class DecisionRpc { kEnroll, kCheckRefresh, kInspect };
// `kError`: the RPC ended with a non-OK status (no verdict reached).
enum class DecisionVerdict { kAllow, kSuspend, kError };
enum class ProbeKind { kEndpoint, kTxt };
enum class CacheResult { kHit, kMiss, kCoalesced, kStale };

// "tls-cert-expired" for REASON_TLS_CERT_EXPIRED; "none" for UNSPECIFIED (and
// for values this build does not know).
std::string ReasonLabel(v1::Reason reason);
// "timeout" for PROBE_OUTCOME_TIMEOUT; "unspecified" for UNSPECIFIED.
std::string ProbeOutcomeLabel(v1::ProbeOutcome outcome);
// "UNAVAILABLE" for grpc::StatusCode::UNAVAILABLE (the canonical code name,
// as grpc-go and Envoy label their metrics).
const char* StatusCodeLabel(grpc::StatusCode code);

// The coherent grant cache (coherent_grant_cache.h) as the metrics and the
// logs show it.
struct GrantWatchState {
  bool connected = false;
  bool caught_up = false;
  // Every change at or below it has been applied (0: no position).
  int64_t revision = 0;
  // Age of the newest echoed heartbeat's send time; infinite when none came
  // back on the current stream.
  absl::Duration lag = absl::InfiniteDuration();
  size_t entries = 0;
  size_t bytes = 0;
};

class DecisionMetrics {
 public:
  // Registers every decision family on `registry`, which must outlive this
  // object. Series with fixed label sets (cache results, probes in flight) are
  // created at zero so rate() and absent() work from the first scrape.
  explicit DecisionMetrics(prometheus::Registry& registry);
  DecisionMetrics(const DecisionMetrics&) = delete;
  DecisionMetrics& operator=(const DecisionMetrics&) = delete;

  // An answered RPC: apptrust_decisions_total{rpc,verdict,reason} + 1 and its
  // latency in apptrust_decision_duration_seconds{rpc}. `reason` is the
  // primary reason (the first suspending finding, or the stored suspension's);
  // REASON_UNSPECIFIED when there is none.
  void RecordDecision(DecisionRpc rpc, DecisionVerdict verdict, v1::Reason reason,
                      absl::Duration elapsed);

  // One finished probe step.
  void RecordProbe(ProbeKind kind, v1::ProbeOutcome outcome, absl::Duration elapsed);

  void RecordCacheResult(CacheResult result);

  // A grant read through a grant cache (services/decision/grant_cache.h with
  // --grant_cache_ttl, or coherent_grant_cache.h).
  void RecordGrantCacheLookup(bool hit);
  // A grant read that went to the store because the coherent cache was not
  // caught up (or was behind the caller's min_store_revision).
  void RecordGrantCacheBypass();
  // The coherent grant cache and its change stream, sampled.
  void SetGrantWatch(const GrantWatchState& state);
  void RecordGrantWatchStreamEnd(grpc::StatusCode code);
  // "out_of_range" or "store_changed".
  void RecordGrantCacheResync(const char* reason);

  // apptrust_probes_in_flight; every ProbeStarted() must be followed by one
  // ProbeFinished() (see InFlightProbe).
  void ProbeStarted();
  void ProbeFinished();

  // One call to apptrust-store: latency always, and an error count when
  // `code` is not OK. `method` is the FingerprintStore method ("GetGrant").
  void RecordStoreCall(absl::string_view method, grpc::StatusCode code, absl::Duration elapsed);

  // A successful Enroll, by the label the patient was shown.
  void RecordEnrollment(v1::Label label);

  // A grant this replica suspended (not one found already suspended).
  void RecordSuspension(v1::Reason reason);

 private:
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Histogram>& decision_duration_;
  prometheus::Family<prometheus::Histogram>& probe_duration_;
  prometheus::Family<prometheus::Counter>& cache_requests_;
  prometheus::Family<prometheus::Counter>& grant_cache_requests_;
  prometheus::Gauge& probes_in_flight_;
  prometheus::Family<prometheus::Histogram>& store_client_duration_;
  prometheus::Family<prometheus::Counter>& store_client_errors_;
  prometheus::Family<prometheus::Counter>& enrollments_;
  prometheus::Family<prometheus::Counter>& suspensions_;
  prometheus::Counter* cache_results_[4];
  prometheus::Counter* grant_cache_hits_;
  prometheus::Counter* grant_cache_misses_;
  prometheus::Counter* grant_cache_bypasses_;
  prometheus::Gauge& grant_watch_connected_;
  prometheus::Gauge& grant_watch_caught_up_;
  prometheus::Gauge& grant_watch_lag_;
  prometheus::Gauge& grant_watch_revision_;
  prometheus::Family<prometheus::Counter>& grant_watch_stream_ends_;
  prometheus::Family<prometheus::Counter>& grant_cache_resyncs_;
  prometheus::Gauge& grant_cache_entries_;
  prometheus::Gauge& grant_cache_bytes_;
};

// Counts one probe in flight for its lifetime. Movable, so it can ride in the
// probe's completion callback.
class InFlightProbe {
 public:
  explicit InFlightProbe(DecisionMetrics* metrics) : metrics_(metrics) {
    if (metrics_ != nullptr) metrics_->ProbeStarted();
  }
  InFlightProbe(InFlightProbe&& other) noexcept : metrics_(other.metrics_) {
    other.metrics_ = nullptr;
  }
  InFlightProbe& operator=(InFlightProbe&& other) noexcept {
    if (this != &other) {
      Finish();
      metrics_ = other.metrics_;
      other.metrics_ = nullptr;
    }
    return *this;
  }
  ~InFlightProbe() { Finish(); }
  // Ends the count early; later calls and the destructor do nothing.
  void Finish() {
    if (metrics_ != nullptr) metrics_->ProbeFinished();
    metrics_ = nullptr;
  }

 private:
  DecisionMetrics* metrics_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_DECISION_METRICS_H_
