#include "services/decision/sweep_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/server/flag_checks.h"

ABSL_FLAG(absl::Duration, sweep_interval, absl::ZeroDuration(),
          "Start a sweep pass (re-check every app with ACTIVE grants, report what would "
          "suspend) this long after the previous one started, e.g. 6h; 0s: never sweep. Only "
          "the replica holding the store's sweep lease sweeps");
ABSL_FLAG(double, sweep_probes_per_second, 5,
          "Apps the sweep observes per second (through the observation cache)");
ABSL_FLAG(double, sweep_jitter, 0.2,
          "Each pause between sweep observations is scaled by a random factor in "
          "[1 - jitter, 1 + jitter]; 0 to 1");
ABSL_FLAG(absl::Duration, sweep_lease_ttl, absl::Seconds(30),
          "How long the sweep lease lasts unless renewed (every third of it); a dead sweeper "
          "is replaced within about 4/3 of it. 1s to 1h");

ABSL_FLAG(absl::Duration, webhook_initial_backoff, absl::Seconds(30),
          "First wait before retrying a failed webhook delivery (then doubling, at most 30m; "
          "8 attempts). 1s to 30m");

namespace apptrust::decision {

absl::StatusOr<SweepFlags> ReadSweepFlags() {
  SweepFlags flags;
  flags.interval = absl::GetFlag(FLAGS_sweep_interval);
  flags.probes_per_second = absl::GetFlag(FLAGS_sweep_probes_per_second);
  flags.jitter = absl::GetFlag(FLAGS_sweep_jitter);
  flags.lease_ttl = absl::GetFlag(FLAGS_sweep_lease_ttl);
  flags.webhook_initial_backoff = absl::GetFlag(FLAGS_webhook_initial_backoff);
  const auto bad = [](const char* flag, const std::string& value, const char* rule) {
    return server::FlagError(flag, value, absl::InvalidArgumentError(rule));
  };
  if (flags.interval < absl::ZeroDuration()) {
    return bad("sweep_interval", absl::FormatDuration(flags.interval), "must not be negative");
  }
  if (!(flags.probes_per_second >= 0.01 && flags.probes_per_second <= 100000)) {
    return bad("sweep_probes_per_second", absl::StrCat(flags.probes_per_second),
               "must be from 0.01 to 100000");
  }
  if (!(flags.jitter >= 0 && flags.jitter <= 1)) {
    return bad("sweep_jitter", absl::StrCat(flags.jitter), "must be from 0 to 1");
  }
  if (flags.lease_ttl < absl::Seconds(1) || flags.lease_ttl > absl::Hours(1)) {
    return bad("sweep_lease_ttl", absl::FormatDuration(flags.lease_ttl), "must be from 1s to 1h");
  }
  if (flags.webhook_initial_backoff < absl::Seconds(1) ||
      flags.webhook_initial_backoff > absl::Minutes(30)) {
    return bad("webhook_initial_backoff", absl::FormatDuration(flags.webhook_initial_backoff),
               "must be from 1s to 30m");
  }
  return flags;
}

}  // namespace apptrust::decision
