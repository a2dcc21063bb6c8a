#include "services/decision/metered_prober.h"

#include <memory>
#include <utility>

#include "absl/time/clock.h"

namespace apptrust::decision {

v1::ProbeOutcome EndpointOutcome(const probe::EndpointObservation& observation) {
  const auto applies = [](v1::ProbeOutcome outcome) {
    return outcome != v1::PROBE_OUTCOME_NOT_APPLICABLE && outcome != v1::PROBE_OUTCOME_UNSPECIFIED;
  };
  const v1::ProbeOutcome address = observation.address_outcome;
  if (applies(address) && address != v1::PROBE_OUTCOME_OK) return address;
  const v1::ProbeOutcome tls = observation.tls.outcome();
  return applies(tls) ? tls : v1::PROBE_OUTCOME_OK;
}

void MeteredProber::ObserveEndpoint(const net::Target& target, absl::Time deadline,
                                    EndpointCallback done) {
  // std::function needs a copyable callable: the guard rides in a shared_ptr.
  auto in_flight = std::make_shared<InFlightProbe>(metrics_);
  const absl::Time start = absl::Now();
  inner_->ObserveEndpoint(target, deadline,
                          [metrics = metrics_, in_flight, start,
                           done = std::move(done)](probe::EndpointObservation observation) {
                            in_flight->Finish();
                            metrics->RecordProbe(ProbeKind::kEndpoint, EndpointOutcome(observation),
                                                 absl::Now() - start);
                            done(std::move(observation));
                          });
}

void MeteredProber::ObserveTxt(const std::string& domain, const std::string& txt_key,
                               absl::Time deadline, TxtCallback done) {
  auto in_flight = std::make_shared<InFlightProbe>(metrics_);
  const absl::Time start = absl::Now();
  inner_->ObserveTxt(domain, txt_key, deadline,
                     [metrics = metrics_, in_flight, start,
                      done = std::move(done)](probe::TxtObservation observation) {
                       in_flight->Finish();
                       metrics->RecordProbe(ProbeKind::kTxt, observation.outcome,
                                            absl::Now() - start);
                       done(std::move(observation));
                     });
}

}  // namespace apptrust::decision
