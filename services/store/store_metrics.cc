#include "services/store/store_metrics.h"

#include "common/metrics/metric_families.h"
#include "common/metrics/metric_names.h"

namespace apptrust::store {
namespace {

namespace names = ::apptrust::metrics;
using names::DurationBuckets;
using names::HelpOf;

}  // namespace

std::string GrpcCodeName(grpc::StatusCode code) { return names::GrpcCodeLabel(code); }

StoreMetrics::StoreMetrics(prometheus::Registry& registry)
    : rpcs_(prometheus::BuildCounter()
                .Name(names::kStoreRpcsTotal)
                .Help(HelpOf(names::kStoreRpcsTotal))
                .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name(names::kStoreRpcDurationSeconds)
                     .Help(HelpOf(names::kStoreRpcDurationSeconds))
                     .Register(registry)),
      grants_(prometheus::BuildGauge()
                  .Name(names::kGrants)
                  .Help(HelpOf(names::kGrants))
                  .Register(registry)),
      active_(grants_.Add({{"state", "active"}})),
      suspended_(grants_.Add({{"state", "suspended"}})),
      commits_(prometheus::BuildCounter()
                   .Name(names::kStoreCommitsTotal)
                   .Help(HelpOf(names::kStoreCommitsTotal))
                   .Register(registry)
                   .Add({})),
      committed_writes_(prometheus::BuildCounter()
                            .Name(names::kStoreCommittedWritesTotal)
                            .Help(HelpOf(names::kStoreCommittedWritesTotal))
                            .Register(registry)
                            .Add({})),
      database_up_(prometheus::BuildGauge()
                       .Name(names::kStoreDatabaseUp)
                       .Help(HelpOf(names::kStoreDatabaseUp))
                       .Register(registry)
                       .Add({})) {}

void StoreMetrics::SetDatabaseUp(bool up) { database_up_.Set(up ? 1 : 0); }

void StoreMetrics::RecordCommit(int64_t writes) {
  commits_.Increment();
  committed_writes_.Increment(static_cast<double>(writes));
}

void StoreMetrics::RecordRpc(absl::string_view method, grpc::StatusCode code,
                             absl::Duration elapsed) {
  const std::string method_name(method);
  rpcs_.Add({{"method", method_name}, {"code", GrpcCodeName(code)}}).Increment();
  durations_.Add({{"method", method_name}}, DurationBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void StoreMetrics::SetGrantCounts(const GrantCounts& counts) {
  active_.Set(static_cast<double>(counts.active));
  suspended_.Set(static_cast<double>(counts.suspended));
}

prometheus::Gauge* StoreMetrics::GaugeFor(apptrust::v1::GrantState state) {
  switch (state) {
    case apptrust::v1::GRANT_STATE_ACTIVE:
      return &active_;
    case apptrust::v1::GRANT_STATE_SUSPENDED:
      return &suspended_;
    default:
      return nullptr;
  }
}

void StoreMetrics::GrantMoved(apptrust::v1::GrantState from, apptrust::v1::GrantState to) {
  if (from == to) return;
  if (prometheus::Gauge* gauge = GaugeFor(from)) gauge->Decrement();
  if (prometheus::Gauge* gauge = GaugeFor(to)) gauge->Increment();
}

}  // namespace apptrust::store
