#include "common/probe/testing/observe_blocking.h"

#include <string>

#include "absl/synchronization/blocking_counter.h"
#include "common/probe/fingerprint_builder.h"

namespace apptrust::testing {

v1::Fingerprint ObserveBlocking(probe::Prober& prober, const net::Target& target,
                                absl::string_view client_id, absl::string_view txt_key,
                                absl::Time deadline) {
  probe::EndpointObservation endpoint;
  probe::TxtObservation txt;
  const bool lookup_txt = !target.host_is_ip_literal;
  absl::BlockingCounter pending(lookup_txt ? 2 : 1);
  prober.ObserveEndpoint(target, deadline, [&](probe::EndpointObservation observation) {
    endpoint = std::move(observation);
    pending.DecrementCount();
  });
  if (lookup_txt) {
    prober.ObserveTxt(target.domain, std::string(txt_key), deadline,
                      [&](probe::TxtObservation observation) {
                        txt = std::move(observation);
                        pending.DecrementCount();
                      });
  } else {
    txt.outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
    txt.error = "an IP-literal host has no domain for a TXT record";
  }
  pending.Wait();
  return BuildFingerprint(target, endpoint, txt, client_id, txt_key);
}

}  // namespace apptrust::testing
