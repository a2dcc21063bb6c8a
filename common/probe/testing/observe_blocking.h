// A synchronous convenience over the asynchronous Prober, for tests only (the
// services never block on a probe): observes the endpoint and the TXT records of `target`
// concurrently and returns the assembled fingerprint (fingerprint_builder.h). Blocks the calling
// thread until both observations complete (the Prober guarantees that happens by `deadline`). Never
// call it on the prober's own event-loop thread (from inside a Prober callback): it would wait for
// itself.
//
// For an IP-literal host the TXT lookup is skipped (txt outcome
// NOT_APPLICABLE): there is no domain to hold the record.
#ifndef APPTRUST_COMMON_PROBE_TESTING_OBSERVE_BLOCKING_H_
#define APPTRUST_COMMON_PROBE_TESTING_OBSERVE_BLOCKING_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/prober.h"

namespace apptrust::testing {

v1::Fingerprint ObserveBlocking(probe::Prober& prober, const net::Target& target,
                                absl::string_view client_id, absl::string_view txt_key,
                                absl::Time deadline);

}  // namespace apptrust::testing

#endif  // APPTRUST_COMMON_PROBE_TESTING_OBSERVE_BLOCKING_H_
