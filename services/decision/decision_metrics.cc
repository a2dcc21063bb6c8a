#include "services/decision/decision_metrics.h"

#include <iterator>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/metrics/metric_families.h"
#include "common/metrics/metric_names.h"

namespace apptrust::decision {
namespace {

namespace names = ::apptrust::metrics;

using ::apptrust::metrics::DurationBuckets;
using ::apptrust::metrics::HelpOf;

double Seconds(absl::Duration elapsed) {
  return absl::ToDoubleSeconds(elapsed < absl::ZeroDuration() ? absl::ZeroDuration() : elapsed);
}

// "PROBE_OUTCOME_NO_TLS" without `prefix`, lower case: "no_tls".
std::string EnumLabel(const std::string& full_name, absl::string_view prefix) {
  absl::string_view name = full_name;
  if (!absl::ConsumePrefix(&name, prefix) || name.empty()) return "";
  return absl::AsciiStrToLower(name);
}

const char* RpcLabel(DecisionRpc rpc) {
  switch (rpc) {
    case DecisionRpc::kEnroll:
      return "Enroll";
    case DecisionRpc::kCheckRefresh:
      return "CheckRefresh";
    case DecisionRpc::kInspect:
      return "Inspect";
  }
  return "unknown";
}

const char* VerdictLabel(DecisionVerdict verdict) {
  switch (verdict) {
    case DecisionVerdict::kAllow:
      return "allow";
    case DecisionVerdict::kSuspend:
      return "suspend";
    case DecisionVerdict::kError:
      return "error";
  }
  return "error";
}

const char* ProbeKindLabel(ProbeKind kind) {
  return kind == ProbeKind::kEndpoint ? "endpoint" : "txt";
}

constexpr const char* kCacheResultLabels[] = {"hit", "miss", "coalesced", "stale"};

prometheus::Gauge& UnlabelledGauge(prometheus::Registry& registry, const char* name) {
  return prometheus::BuildGauge().Name(name).Help(HelpOf(name)).Register(registry).Add({});
}

}  // namespace

std::string ReasonLabel(v1::Reason reason) {
  if (reason == v1::REASON_UNSPECIFIED) return "none";
  std::string label = EnumLabel(v1::Reason_Name(reason), "REASON_");
  if (label.empty()) return "none";
  return absl::StrReplaceAll(label, {{"_", "-"}});
}

std::string ProbeOutcomeLabel(v1::ProbeOutcome outcome) {
  std::string label = EnumLabel(v1::ProbeOutcome_Name(outcome), "PROBE_OUTCOME_");
  return label.empty() ? "unspecified" : label;
}

const char* StatusCodeLabel(grpc::StatusCode code) { return metrics::GrpcCodeLabel(code); }

DecisionMetrics::DecisionMetrics(prometheus::Registry& registry)
    : decisions_(prometheus::BuildCounter()
                     .Name(names::kDecisionsTotal)
                     .Help(HelpOf(names::kDecisionsTotal))
                     .Register(registry)),
      decision_duration_(prometheus::BuildHistogram()
                             .Name(names::kDecisionDurationSeconds)
                             .Help(HelpOf(names::kDecisionDurationSeconds))
                             .Register(registry)),
      probe_duration_(prometheus::BuildHistogram()
                          .Name(names::kProbeDurationSeconds)
                          .Help(HelpOf(names::kProbeDurationSeconds))
                          .Register(registry)),
      cache_requests_(prometheus::BuildCounter()
                          .Name(names::kCacheRequestsTotal)
                          .Help(HelpOf(names::kCacheRequestsTotal))
                          .Register(registry)),
      grant_cache_requests_(prometheus::BuildCounter()
                                .Name(names::kGrantCacheRequestsTotal)
                                .Help(HelpOf(names::kGrantCacheRequestsTotal))
                                .Register(registry)),
      probes_in_flight_(prometheus::BuildGauge()
                            .Name(names::kProbesInFlight)
                            .Help(HelpOf(names::kProbesInFlight))
                            .Register(registry)
                            .Add({})),
      store_client_duration_(prometheus::BuildHistogram()
                                 .Name(names::kStoreClientDurationSeconds)
                                 .Help(HelpOf(names::kStoreClientDurationSeconds))
                                 .Register(registry)),
      store_client_errors_(prometheus::BuildCounter()
                               .Name(names::kStoreClientErrorsTotal)
                               .Help(HelpOf(names::kStoreClientErrorsTotal))
                               .Register(registry)),
      enrollments_(prometheus::BuildCounter()
                       .Name(names::kEnrollmentsTotal)
                       .Help(HelpOf(names::kEnrollmentsTotal))
                       .Register(registry)),
      suspensions_(prometheus::BuildCounter()
                       .Name(names::kSuspensionsTotal)
                       .Help(HelpOf(names::kSuspensionsTotal))
                       .Register(registry)),
      grant_watch_connected_(UnlabelledGauge(registry, names::kGrantWatchConnected)),
      grant_watch_caught_up_(UnlabelledGauge(registry, names::kGrantWatchCaughtUp)),
      grant_watch_lag_(UnlabelledGauge(registry, names::kGrantWatchLagSeconds)),
      grant_watch_revision_(UnlabelledGauge(registry, names::kGrantWatchRevision)),
      grant_watch_stream_ends_(prometheus::BuildCounter()
                                   .Name(names::kGrantWatchStreamEndsTotal)
                                   .Help(HelpOf(names::kGrantWatchStreamEndsTotal))
                                   .Register(registry)),
      grant_cache_resyncs_(prometheus::BuildCounter()
                               .Name(names::kGrantCacheResyncsTotal)
                               .Help(HelpOf(names::kGrantCacheResyncsTotal))
                               .Register(registry)),
      grant_cache_entries_(UnlabelledGauge(registry, names::kGrantCacheEntries)),
      grant_cache_bytes_(UnlabelledGauge(registry, names::kGrantCacheBytes)) {
  static_assert(std::size(kCacheResultLabels) == std::size(decltype(cache_results_){}));
  for (size_t i = 0; i < std::size(kCacheResultLabels); ++i) {
    cache_results_[i] = &cache_requests_.Add({{"result", kCacheResultLabels[i]}});
  }
  grant_cache_hits_ = &grant_cache_requests_.Add({{"result", "hit"}});
  grant_cache_misses_ = &grant_cache_requests_.Add({{"result", "miss"}});
  grant_cache_bypasses_ = &grant_cache_requests_.Add({{"result", "bypass"}});
  for (const char* reason : {"out_of_range", "store_changed", "token_refused"}) {
    grant_cache_resyncs_.Add({{"reason", reason}});
  }
  grant_watch_lag_.Set(std::numeric_limits<double>::infinity());
}

void DecisionMetrics::RecordDecision(DecisionRpc rpc, DecisionVerdict verdict, v1::Reason reason,
                                     absl::Duration elapsed) {
  const char* rpc_label = RpcLabel(rpc);
  decisions_
      .Add(
          {{"rpc", rpc_label}, {"verdict", VerdictLabel(verdict)}, {"reason", ReasonLabel(reason)}})
      .Increment();
  decision_duration_.Add({{"rpc", rpc_label}}, DurationBuckets()).Observe(Seconds(elapsed));
}

void DecisionMetrics::RecordProbe(ProbeKind kind, v1::ProbeOutcome outcome,
                                  absl::Duration elapsed) {
  probe_duration_
      .Add({{"kind", ProbeKindLabel(kind)}, {"outcome", ProbeOutcomeLabel(outcome)}},
           DurationBuckets())
      .Observe(Seconds(elapsed));
}

void DecisionMetrics::RecordCacheResult(CacheResult result) {
  cache_results_[static_cast<int>(result)]->Increment();
}

void DecisionMetrics::RecordGrantCacheLookup(bool hit) {
  (hit ? grant_cache_hits_ : grant_cache_misses_)->Increment();
}

void DecisionMetrics::RecordGrantCacheBypass() { grant_cache_bypasses_->Increment(); }

void DecisionMetrics::SetGrantWatch(const GrantWatchState& sample) {
  grant_watch_connected_.Set(sample.connected ? 1 : 0);
  grant_watch_caught_up_.Set(sample.caught_up ? 1 : 0);
  grant_watch_lag_.Set(sample.lag == absl::InfiniteDuration()
                           ? std::numeric_limits<double>::infinity()
                           : Seconds(sample.lag));
  grant_watch_revision_.Set(static_cast<double>(sample.revision));
  grant_cache_entries_.Set(static_cast<double>(sample.entries));
  grant_cache_bytes_.Set(static_cast<double>(sample.bytes));
}

void DecisionMetrics::RecordGrantWatchStreamEnd(grpc::StatusCode code) {
  grant_watch_stream_ends_.Add({{"code", StatusCodeLabel(code)}}).Increment();
}

void DecisionMetrics::RecordGrantCacheResync(const char* reason) {
  grant_cache_resyncs_.Add({{"reason", reason}}).Increment();
}

void DecisionMetrics::ProbeStarted() { probes_in_flight_.Increment(); }

void DecisionMetrics::ProbeFinished() { probes_in_flight_.Decrement(); }

void DecisionMetrics::RecordStoreCall(absl::string_view method, grpc::StatusCode code,
                                      absl::Duration elapsed) {
  const std::string method_label(method);
  store_client_duration_.Add({{"method", method_label}}, DurationBuckets())
      .Observe(Seconds(elapsed));
  if (code != grpc::StatusCode::OK) {
    store_client_errors_.Add({{"method", method_label}, {"code", StatusCodeLabel(code)}})
        .Increment();
  }
}

void DecisionMetrics::RecordEnrollment(v1::Label label) {
  std::string value = EnumLabel(v1::Label_Name(label), "LABEL_");
  enrollments_.Add({{"label", value.empty() ? "unspecified" : value}}).Increment();
}

void DecisionMetrics::RecordSuspension(v1::Reason reason) {
  suspensions_.Add({{"reason", ReasonLabel(reason)}}).Increment();
}

}  // namespace apptrust::decision
