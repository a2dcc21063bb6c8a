// The sweep's Prometheus series (names and help: common/metrics/
// metric_names.h): apps and grants at risk by reason from the last complete
// pass, when it completed and how long it took, whether this replica holds
// the lease, and how many apps it observed.
#ifndef APPTRUST_SERVICES_DECISION_SWEEP_METRICS_H_
#define APPTRUST_SERVICES_DECISION_SWEEP_METRICS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace apptrust::decision {

// Per reason label (kebab case): apps and their ACTIVE grants.
struct AtRiskCounts {
  int64_t apps = 0;
  int64_t grants = 0;
};

class SweepMetrics {
 public:
  explicit SweepMetrics(prometheus::Registry& registry);

  // Losing the lease also sets the at-risk series to 0 (the holder's are
  // the current ones).
  void SetLeaseHeld(bool held);
  void RecordProbe();
  // Replaces the at-risk series with `by_reason` (reasons no longer at risk
  // go to 0), and sets the pass's completion time and duration.
  void PassCompleted(const std::map<std::string, AtRiskCounts>& by_reason, absl::Time completed,
                     absl::Duration duration);

 private:
  prometheus::Family<prometheus::Gauge>& apps_at_risk_;
  prometheus::Family<prometheus::Gauge>& grants_at_risk_;
  prometheus::Gauge& last_pass_completed_;
  prometheus::Gauge& pass_duration_;
  prometheus::Gauge& lease_held_;
  prometheus::Counter& probes_;
  absl::Mutex mu_;
  std::map<std::string, AtRiskCounts> reported_ ABSL_GUARDED_BY(mu_);
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEP_METRICS_H_
