#include "services/decision/sweep_metrics.h"

#include "common/metrics/metric_families.h"
#include "common/metrics/metric_names.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace apptrust::decision {
namespace {

namespace names = ::apptrust::metrics;
using ::apptrust::metrics::HelpOf;

prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry,
                                                   const char* name) {
  return prometheus::BuildGauge().Name(name).Help(HelpOf(name)).Register(registry);
}

}  // namespace

SweepMetrics::SweepMetrics(prometheus::Registry& registry)
    : apps_at_risk_(GaugeFamily(registry, names::kSweepAppsAtRisk)),
      grants_at_risk_(GaugeFamily(registry, names::kSweepGrantsAtRisk)),
      last_pass_completed_(
          GaugeFamily(registry, names::kSweepLastPassCompletedTimestampSeconds).Add({})),
      pass_duration_(GaugeFamily(registry, names::kSweepPassDurationSeconds).Add({})),
      lease_held_(GaugeFamily(registry, names::kSweepLeaseHeld).Add({})),
      probes_(prometheus::BuildCounter()
                  .Name(names::kSweepProbesTotal)
                  .Help(HelpOf(names::kSweepProbesTotal))
                  .Register(registry)
                  .Add({})) {}

void SweepMetrics::SetLeaseHeld(bool held) {
  lease_held_.Set(held ? 1 : 0);
  if (held) return;
  // Only the holder's figures are current: a replica that lost the lease
  // reports nothing at risk, so a sum over replicas counts each app once.
  absl::MutexLock lock(&mu_);
  for (auto& [reason, counts] : reported_) {
    counts = AtRiskCounts{};
    apps_at_risk_.Add({{"reason", reason}}).Set(0);
    grants_at_risk_.Add({{"reason", reason}}).Set(0);
  }
}

void SweepMetrics::RecordProbe() { probes_.Increment(); }

void SweepMetrics::PassCompleted(const std::map<std::string, AtRiskCounts>& by_reason,
                                 absl::Time completed, absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  for (auto& [reason, counts] : reported_) {
    if (!by_reason.contains(reason)) counts = AtRiskCounts{};
  }
  for (const auto& [reason, counts] : by_reason) reported_[reason] = counts;
  for (const auto& [reason, counts] : reported_) {
    apps_at_risk_.Add({{"reason", reason}}).Set(static_cast<double>(counts.apps));
    grants_at_risk_.Add({{"reason", reason}}).Set(static_cast<double>(counts.grants));
  }
  last_pass_completed_.Set(absl::ToDoubleSeconds(completed - absl::UnixEpoch()));
  pass_duration_.Set(absl::ToDoubleSeconds(duration));
}

}  // namespace apptrust::decision
