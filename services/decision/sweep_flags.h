// The sweep's flags (apptrust-decision), apart from flags.h so that the
// sweep stays one concept: --sweep_interval (0s: no sweep, the default),
// --sweep_probes_per_second, --sweep_jitter, --sweep_lease_ttl.
#ifndef APPTRUST_SERVICES_DECISION_SWEEP_FLAGS_H_
#define APPTRUST_SERVICES_DECISION_SWEEP_FLAGS_H_

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(absl::Duration, sweep_interval);
ABSL_DECLARE_FLAG(double, sweep_probes_per_second);
ABSL_DECLARE_FLAG(double, sweep_jitter);
ABSL_DECLARE_FLAG(absl::Duration, sweep_lease_ttl);
ABSL_DECLARE_FLAG(absl::Duration, webhook_initial_backoff);

namespace apptrust::decision {

struct SweepFlags {
  // Zero: this replica never sweeps (nor takes the lease).
  absl::Duration interval;
  double probes_per_second = 0;
  double jitter = 0;
  absl::Duration lease_ttl;
  // The first retry wait of a failed webhook delivery (doubling after).
  absl::Duration webhook_initial_backoff;
};

// INVALID_ARGUMENT "--flag=value: why" for an unusable value.
absl::StatusOr<SweepFlags> ReadSweepFlags();

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEP_FLAGS_H_
