// Helpers both services use when they register the metric families listed in
// metric_names.h, so the help texts, the latency buckets and the gRPC code
// label values are the same on every series whichever service exports it.
#ifndef APPTRUST_COMMON_METRICS_METRIC_FAMILIES_H_
#define APPTRUST_COMMON_METRICS_METRIC_FAMILIES_H_

#include "grpcpp/support/status.h"
#include "prometheus/histogram.h"

namespace apptrust::metrics {

// The help text metric_names.h gives `name`; "" for a name it does not list.
const char* HelpOf(const char* name);

// kDurationBuckets (100 µs … 10 s) as prometheus-cpp wants them.
prometheus::Histogram::BucketBoundaries DurationBuckets();

// "UNAVAILABLE" for grpc::StatusCode::UNAVAILABLE: the canonical code name,
// as grpc-go and Envoy label their metrics; "UNKNOWN" for other values.
const char* GrpcCodeLabel(grpc::StatusCode code);

}  // namespace apptrust::metrics

#endif  // APPTRUST_COMMON_METRICS_METRIC_FAMILIES_H_
