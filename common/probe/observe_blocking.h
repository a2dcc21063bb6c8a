// A synchronous convenience over the asynchronous Prober for tools and
// tests: observes the endpoint and the TXT records of `target` concurrently
// and returns the assembled fingerprint (fingerprint_builder.h). Blocks the
// calling thread until both observations complete (the Prober guarantees
// that happens by `deadline`). Never call it on the prober's own event-loop
// thread (from inside a Prober callback): it would wait for itself.
//
// For an IP-literal host the TXT lookup is skipped (txt outcome
// NOT_APPLICABLE): there is no domain to hold the record.
#ifndef APPTRUST_COMMON_PROBE_OBSERVE_BLOCKING_H_
#define APPTRUST_COMMON_PROBE_OBSERVE_BLOCKING_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/prober.h"

namespace apptrust::probe {

inline constexpr char kDefaultTxtKey[] = "cerner-client-id";

v1::Fingerprint ObserveBlocking(Prober& prober, const Target& target, absl::string_view client_id,
                                absl::string_view txt_key, absl::Time deadline);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_OBSERVE_BLOCKING_H_
