#include "services/store/store_metrics.h"

namespace apptrust::store {
namespace {

prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

}  // namespace

std::string GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

StoreMetrics::StoreMetrics(prometheus::Registry& registry)
    : rpcs_(prometheus::BuildCounter()
                .Name("apptrust_store_rpcs_total")
                .Help("FingerprintStore RPCs finished, by method and gRPC status code.")
                .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("apptrust_store_rpc_duration_seconds")
                     .Help("Time to answer a FingerprintStore RPC, by method.")
                     .Register(registry)),
      grants_(prometheus::BuildGauge()
                  .Name("apptrust_grants")
                  .Help("Grants in the store, by state.")
                  .Register(registry)),
      active_(grants_.Add({{"state", "active"}})),
      suspended_(grants_.Add({{"state", "suspended"}})) {}

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
